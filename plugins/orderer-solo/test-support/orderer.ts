/**
 * Starting an orderer of the test network, and a metrics provider that records what is counted.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type {
  Counter,
  Gauge,
  Histogram,
  MetricLabels,
  MetricOptions,
  MetricsProvider,
} from '@fabric-peer/api';
import { silentLoggers } from '@fabric-peer/testkit';
import { SoloOrderer, type SoloOrdererOptions } from '../src/index.js';
import type { OrdererTestNetwork } from './network.js';

/** Options of {@link startOrderer}: the network's identity and a new folder unless given. */
export type TestOrdererOptions = Partial<SoloOrdererOptions>;

/** The orderer's options for the test network (listening on a free port of 127.0.0.1). */
export function ordererOptions(
  net: OrdererTestNetwork,
  options: TestOrdererOptions = {},
): SoloOrdererOptions {
  return {
    listenAddress: '127.0.0.1:0',
    mspDir: net.ordererMspDir,
    mspId: net.ordererMspId,
    fileSystemPath: join(net.dir, `orderer-${randomBytes(4).toString('hex')}`),
    logger: silentLoggers('orderer'),
    sync: false,
    ...options,
  };
}

/** A started orderer of the test network. */
export async function startOrderer(
  net: OrdererTestNetwork,
  options: TestOrdererOptions = {},
): Promise<SoloOrderer> {
  const orderer = new SoloOrderer(ordererOptions(net, options));
  await orderer.start();
  return orderer;
}

/** One recorded metric update. */
export interface MetricRecord {
  readonly name: string;
  readonly kind: 'add' | 'set' | 'observe';
  readonly value: number;
  readonly labels: MetricLabels;
}

/** A MetricsProvider that records every update, by Fabric's fully qualified name. */
export function recordingMetrics(): { provider: MetricsProvider; records: MetricRecord[] } {
  const records: MetricRecord[] = [];
  const fq = (o: MetricOptions): string =>
    [o.namespace, o.subsystem, o.name].filter((p) => p !== undefined && p !== '').join('_');
  const record =
    (name: string, kind: MetricRecord['kind']) =>
    (value: number, labels: MetricLabels = {}): void => {
      records.push({ name, kind, value, labels });
    };
  const provider: MetricsProvider = {
    newCounter: (o): Counter => ({ add: record(fq(o), 'add') }),
    newGauge: (o): Gauge => ({ set: record(fq(o), 'set'), add: record(fq(o), 'add') }),
    newHistogram: (o): Histogram => ({ observe: record(fq(o), 'observe') }),
  };
  return { provider, records };
}
