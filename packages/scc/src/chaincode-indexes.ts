/**
 * State-database indexes of deployed chaincode (Fabric's lifecycle EventBroker, its legacy
 * cceventmgmt, and the ledger's chaincode-deploy listener): when a chaincode becomes runnable on a
 * channel, the indexes its package ships (`META-INF/statedb/couchdb/...`) are created in the
 * channel's state database. For `_lifecycle` chaincode that is once its definition is committed,
 * approved by this org with a package installed here, in whichever order those happen; for lscc
 * chaincode once it is deployed and installed. They are created again for a new deployment, and
 * for every runnable chaincode when the peer starts (creating an index that exists changes
 * nothing).
 *
 * One mechanism covers the events Fabric handles apart (install, approve/commit or deploy, ledger
 * open): after each change a source of runnable chaincodes reports, the channel's runnable
 * chaincodes are compared with those whose indexes were deployed. It runs after the block that
 * made the change is committed, not inside it; a query made at that moment may not use the index
 * yet. As in Fabric, a failure is logged and never fails a deployment or a commit.
 */
import type { Logger } from '@fabric-peer/api';
import {
  parseChaincodePackage,
  statedbArtifacts,
  type ChaincodePackageStore,
} from '@fabric-peer/chaincode-packages';
import type { ChannelRegistry } from '@fabric-peer/channel';
import type { IndexDeployment } from '@fabric-peer/ledger';
import type { LifecycleDefinitions } from './lifecycle/definitions.js';
import { Listeners, messageOf } from './util.js';

/** A chaincode this peer can run on a channel, as {@link ChaincodeIndexes} needs it. */
export interface RunnableChaincode {
  readonly name: string;
  /** Differs for each deployment (package, definition): a new one deploys the indexes again. */
  readonly deployment: string;
  /** The definition's explicit collections, by name. */
  readonly collections: readonly string[];
  /** The installed package's `META-INF/statedb/` files, by path (statedbArtifacts). */
  statedbArtifacts(): Promise<ReadonlyMap<string, Uint8Array>>;
}

/** The chaincodes one lifecycle (`_lifecycle`, lscc) lets this peer run, and when that changes. */
export interface RunnableChaincodes {
  /** Calls `listener` with a channel's id whenever its runnable chaincodes may have changed. */
  onChange(listener: (channelId: string) => void): () => void;
  runnable(channelId: string): Promise<RunnableChaincode[]>;
}

/** `_lifecycle`'s runnable chaincodes: its invocable definitions, packages from `store`. */
export function lifecycleRunnable(
  definitions: Pick<LifecycleDefinitions, 'onChange' | 'invocable'>,
  store: Pick<ChaincodePackageStore, 'load'>,
): RunnableChaincodes {
  return {
    onChange: (listener) => definitions.onChange(listener),
    runnable: async (channelId) =>
      (await definitions.invocable(channelId)).map((c) => ({
        name: c.name,
        deployment: `${c.packageId}#${c.sequence}`,
        collections: c.collections,
        statedbArtifacts: async () => {
          const bytes = await store.load(c.packageId);
          if (bytes === undefined) throw new Error(`package ${c.packageId} is not installed`);
          return statedbArtifacts(parseChaincodePackage(bytes).codeArchive);
        },
      })),
  };
}

/** Options of {@link ChaincodeIndexes}. */
export interface ChaincodeIndexesOptions {
  /** Where runnable chaincodes come from (`lifecycleRunnable`, `LegacyRunnable`). */
  readonly sources: readonly RunnableChaincodes[];
  readonly channels: Pick<ChannelRegistry, 'get'>;
  readonly logger?: Logger;
}

/** One deployment of a chaincode's indexes on a channel. */
export interface ChaincodeIndexesEvent {
  readonly channelId: string;
  readonly chaincode: RunnableChaincode;
  readonly result: IndexDeployment;
}

export class ChaincodeIndexes {
  /** Per channel: chaincode name → the deployment whose indexes were deployed. */
  readonly #deployed = new Map<string, Map<string, string>>();
  /** Per channel: the pass running now; a change seen meanwhile asks for one more. */
  readonly #running = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  readonly #deployments: Listeners<[event: ChaincodeIndexesEvent]>;
  #unsubscribe: (() => void) | undefined;

  constructor(private readonly options: ChaincodeIndexesOptions) {
    this.#deployments = new Listeners((err) =>
      options.logger?.error('a chaincode indexes listener failed', { error: messageOf(err) }),
    );
  }

  /** Follows the sources' changes. */
  start(): void {
    if (this.#unsubscribe !== undefined) return;
    const stops = this.options.sources.map((s) => s.onChange((id) => this.#changed(id)));
    this.#unsubscribe = () => {
      for (const stop of stops) stop();
    };
  }

  /** Stops following changes and waits for the passes under way. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#again.clear();
    await this.idle();
  }

  /** Resolves once no pass is running or asked for. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running.values());
  }

  /** Calls `listener` after each deployment (for tests and operators' tooling). */
  onDeployed(listener: (event: ChaincodeIndexesEvent) => void): () => void {
    return this.#deployments.add(listener);
  }

  #changed(channelId: string): void {
    if (this.#running.has(channelId)) {
      this.#again.add(channelId);
      return;
    }
    const run = (async () => {
      try {
        do {
          this.#again.delete(channelId);
          try {
            await this.#pass(channelId);
          } catch (err) {
            this.options.logger?.error('could not deploy chaincode indexes', {
              channel: channelId,
              error: messageOf(err),
            });
          }
        } while (this.#again.has(channelId));
      } finally {
        // In the step that saw no further change: a change after it starts a new pass.
        this.#running.delete(channelId);
      }
    })();
    this.#running.set(channelId, run);
  }

  /** Deploys the indexes of the channel's runnable chaincodes not deployed yet. */
  async #pass(channelId: string): Promise<void> {
    const ledger = this.options.channels.get(channelId)?.ledger;
    if (ledger === undefined || ledger.indexType === undefined) return;
    const deployed = this.#deployed.get(channelId) ?? new Map<string, string>();
    this.#deployed.set(channelId, deployed);
    for (const source of this.options.sources) {
      for (const chaincode of await source.runnable(channelId)) {
        if (deployed.get(chaincode.name) === chaincode.deployment) continue;
        // Marked first: a package whose indexes fail is not tried again on every block.
        deployed.set(chaincode.name, chaincode.deployment);
        let artifacts: ReadonlyMap<string, Uint8Array>;
        try {
          artifacts = await chaincode.statedbArtifacts();
        } catch (err) {
          this.options.logger?.error('could not read the db artifacts of a chaincode package', {
            channel: channelId,
            chaincode: chaincode.name,
            deployment: chaincode.deployment,
            error: messageOf(err),
          });
          continue;
        }
        if (artifacts.size === 0) continue;
        const result = await ledger.deployChaincodeIndexes(
          { name: chaincode.name, collections: chaincode.collections },
          artifacts,
        );
        this.options.logger?.info('deployed the chaincode indexes', {
          channel: channelId,
          chaincode: chaincode.name,
          deployment: chaincode.deployment,
          namespaces: result.applied.map((a) => a.namespace),
          failed: result.failed.length,
        });
        this.#deployments.emit({ channelId, chaincode, result });
      }
    }
  }
}
