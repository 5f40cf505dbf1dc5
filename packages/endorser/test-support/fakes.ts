/**
 * Fakes for the endorser's unit tests, where the chaincode itself is not the point: a
 * ChaincodeSupport that runs a test's handler per chaincode name against the real simulator it is
 * given, a definition source from a table, a channel registry that counts open simulators, and a
 * metrics provider that records what was counted.
 */
import type {
  Counter,
  Gauge,
  Histogram,
  MetricLabels,
  MetricOptions,
  MetricsProvider,
} from '@fabric-peer/api';
import {
  ChaincodeError,
  type ChaincodeDefinitionSource,
  type ChaincodeEndorsementInfo,
  type ChaincodeSupport,
  type ExecuteResult,
  type TransactionParams,
} from '@fabric-peer/chaincode';
import type { Channel, ChannelRegistry } from '@fabric-peer/channel';
import type { KvLedger, QueryExecutor, TxSimulator } from '@fabric-peer/ledger';
import type { protos } from '@fabric-peer/protos';

export type Handler = (
  params: TransactionParams,
  input: protos.IChaincodeInput,
) => Promise<ExecuteResult>;

export interface RecordedCall {
  readonly kind: 'execute' | 'legacyInit';
  readonly params: TransactionParams;
  readonly name: string;
  readonly version?: string;
  readonly input: protos.IChaincodeInput;
}

/** ChaincodeSupport whose chaincodes are functions; an unknown name rejects as Fabric would. */
export class FakeChaincodeSupport implements ChaincodeSupport {
  readonly calls: RecordedCall[] = [];
  readonly handlers = new Map<string, Handler>();
  /** Runs for executeLegacyInit, keyed by `name:version`. */
  readonly initHandlers = new Map<string, Handler>();

  execute(
    params: TransactionParams,
    name: string,
    input: protos.IChaincodeInput,
  ): Promise<ExecuteResult> {
    this.calls.push({ kind: 'execute', params, name, input });
    const handler = this.handlers.get(name);
    if (handler === undefined) {
      return Promise.reject(
        new ChaincodeError('CHAINCODE_NOT_INSTALLED', `chaincode ${name} is not installed`),
      );
    }
    return handler(params, input);
  }

  executeLegacyInit(
    params: TransactionParams,
    name: string,
    version: string,
    input: protos.IChaincodeInput,
  ): Promise<ExecuteResult> {
    this.calls.push({ kind: 'legacyInit', params, name, version, input });
    const handler = this.initHandlers.get(`${name}:${version}`);
    if (handler === undefined) {
      return Promise.reject(
        new ChaincodeError(
          'CHAINCODE_NOT_INSTALLED',
          `could not get chaincode code: chaincode ${name}:${version} not installed`,
        ),
      );
    }
    return handler(params, input);
  }

  launch(): Promise<void> {
    return Promise.resolve();
  }
}

/** Definitions from a table; anything else is not defined. */
export class TableDefinitions implements ChaincodeDefinitionSource {
  readonly table = new Map<string, ChaincodeEndorsementInfo>();

  endorsementInfo(channelId: string, name: string): Promise<ChaincodeEndorsementInfo> {
    const info = this.table.get(name);
    if (info === undefined) {
      return Promise.reject(
        new ChaincodeError('CHAINCODE_NOT_DEFINED', `namespace ${name} is not defined`, {
          details: { channelId },
        }),
      );
    }
    return Promise.resolve(info);
  }
}

/**
 * Wraps a registry so that every simulator its ledgers hand out is tracked until `done()`: a test
 * can then check that no path of the endorser leaves one holding back commits.
 */
export class TrackingChannels implements ChannelRegistry {
  readonly open = new Set<TxSimulator>();
  simulatorsCreated = 0;
  /** `[namespace, key]` of every getStateMetadata of a query executor the ledgers handed out. */
  readonly metadataReads: [string, string][] = [];

  constructor(private readonly inner: ChannelRegistry) {}

  get(channelId: string): Channel | undefined {
    const channel = this.inner.get(channelId);
    if (channel === undefined) return undefined;
    const ledger = this.trackLedger(channel.ledger);
    return { id: channel.id, ledger, bundle: () => channel.bundle() };
  }

  ids(): string[] {
    return this.inner.ids();
  }

  join(block: Parameters<ChannelRegistry['join']>[0]): Promise<Channel> {
    return this.inner.join(block);
  }

  onChannel(listener: Parameters<ChannelRegistry['onChannel']>[0]): () => void {
    return this.inner.onChannel(listener);
  }

  private trackLedger(ledger: KvLedger): KvLedger {
    const open = this.open;
    const reads = this.metadataReads;
    const count = (): void => {
      this.simulatorsCreated++;
    };
    return new Proxy(ledger, {
      get(target, prop, receiver) {
        if (prop === 'newTxSimulator') {
          return async (txId: string): Promise<TxSimulator> => {
            const sim = await target.newTxSimulator(txId);
            count();
            open.add(sim);
            const done = sim.done.bind(sim);
            sim.done = () => {
              open.delete(sim);
              done();
            };
            return sim;
          };
        }
        if (prop === 'newQueryExecutor') {
          return async (): Promise<QueryExecutor> => {
            const qe = await target.newQueryExecutor();
            const read = qe.getStateMetadata.bind(qe);
            qe.getStateMetadata = (ns, key) => {
              reads.push([ns, key]);
              return read(ns, key);
            };
            return qe;
          };
        }
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
  }
}

/** Sums of counters and observation counts of histograms, by metric name and labels. */
export class RecordingMetrics implements MetricsProvider {
  readonly values = new Map<string, number>();

  private key(name: string, labels?: MetricLabels): string {
    const parts = Object.entries(labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .sort();
    return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
  }

  /** The value of a metric (summed over labels when `labels` is omitted). */
  get(name: string, labels?: MetricLabels): number {
    if (labels !== undefined) return this.values.get(this.key(name, labels)) ?? 0;
    let sum = 0;
    for (const [k, v] of this.values) if (k === name || k.startsWith(`${name}{`)) sum += v;
    return sum;
  }

  private fqname(opts: MetricOptions): string {
    return [opts.namespace, opts.subsystem, opts.name].filter((p) => p).join('_');
  }

  newCounter(opts: MetricOptions): Counter {
    const name = this.fqname(opts);
    return {
      add: (delta, labels) => {
        const k = this.key(name, labels);
        this.values.set(k, (this.values.get(k) ?? 0) + delta);
      },
    };
  }

  newGauge(opts: MetricOptions): Gauge {
    const name = this.fqname(opts);
    return {
      set: (value, labels) => this.values.set(this.key(name, labels), value),
      add: (delta, labels) => {
        const k = this.key(name, labels);
        this.values.set(k, (this.values.get(k) ?? 0) + delta);
      },
    };
  }

  newHistogram(opts: MetricOptions): Histogram {
    const name = this.fqname(opts);
    return {
      observe: (_value, labels) => {
        const k = this.key(name, labels);
        this.values.set(k, (this.values.get(k) ?? 0) + 1);
      },
    };
  }
}
