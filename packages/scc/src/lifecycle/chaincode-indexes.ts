/**
 * State-database indexes of `_lifecycle` chaincode (Fabric's lifecycle EventBroker and the
 * ledger's chaincode-deploy listener): when a chaincode becomes runnable on a channel — its
 * definition committed, approved by this org with a package that is installed here, in whichever
 * order those happen — the indexes its package ships (`META-INF/statedb/couchdb/...`) are created
 * in the channel's state database. They are created again for a new sequence, and for every
 * runnable chaincode when the peer starts (creating an index that exists changes nothing).
 *
 * One mechanism covers the three events Fabric handles apart (install, approve/commit, ledger
 * open): after each change the lifecycle cache reports, the channel's runnable chaincodes are
 * compared with those whose indexes were deployed. It runs after the block that made the change
 * is committed, not inside it; a query made at that moment may not use the index yet. As in
 * Fabric, a failure is logged and never fails a deployment or a commit.
 */
import type { Logger } from '@fabric-peer/api';
import {
  parseChaincodePackage,
  statedbArtifacts,
  type ChaincodePackageStore,
} from '@fabric-peer/chaincode-packages';
import type { ChannelRegistry } from '@fabric-peer/channel';
import type { IndexDeployment } from '@fabric-peer/ledger';
import type { InvocableChaincode, LifecycleDefinitions } from './definitions.js';
import { messageOf } from './errors.js';

/** Options of {@link ChaincodeIndexes}. */
export interface ChaincodeIndexesOptions {
  readonly definitions: Pick<LifecycleDefinitions, 'onChange' | 'invocable'>;
  readonly channels: Pick<ChannelRegistry, 'get'>;
  /** The installed packages, read for their `META-INF/statedb/` files. */
  readonly store: Pick<ChaincodePackageStore, 'load'>;
  readonly logger?: Logger;
}

/** One deployment of a chaincode's indexes on a channel. */
export interface ChaincodeIndexesEvent {
  readonly channelId: string;
  readonly chaincode: InvocableChaincode;
  readonly result: IndexDeployment;
}

export class ChaincodeIndexes {
  /** Per channel: chaincode name → `packageId#sequence` whose indexes were deployed. */
  readonly #deployed = new Map<string, Map<string, string>>();
  /** Per channel: the pass running now; a change seen meanwhile asks for one more. */
  readonly #running = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  readonly #listeners = new Set<(event: ChaincodeIndexesEvent) => void>();
  #unsubscribe: (() => void) | undefined;

  constructor(private readonly options: ChaincodeIndexesOptions) {}

  /** Follows the lifecycle cache's changes. */
  start(): void {
    this.#unsubscribe ??= this.options.definitions.onChange((id) => this.#changed(id));
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
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(channelId: string): void {
    if (this.#running.has(channelId)) {
      this.#again.add(channelId);
      return;
    }
    const run = (async () => {
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
    })().finally(() => this.#running.delete(channelId));
    this.#running.set(channelId, run);
  }

  /** Deploys the indexes of the channel's runnable chaincodes not deployed yet. */
  async #pass(channelId: string): Promise<void> {
    const ledger = this.options.channels.get(channelId)?.ledger;
    if (ledger === undefined || ledger.indexType === undefined) return;
    const deployed = this.#deployed.get(channelId) ?? new Map<string, string>();
    this.#deployed.set(channelId, deployed);
    for (const chaincode of await this.options.definitions.invocable(channelId)) {
      const version = `${chaincode.packageId}#${chaincode.sequence}`;
      if (deployed.get(chaincode.name) === version) continue;
      // Marked first: a package whose indexes fail is not tried again on every block.
      deployed.set(chaincode.name, version);
      const artifacts = await this.#artifacts(chaincode.packageId);
      if (artifacts === undefined || artifacts.size === 0) continue;
      const result = await ledger.deployChaincodeIndexes(
        { name: chaincode.name, collections: chaincode.collections },
        artifacts,
      );
      this.options.logger?.info('deployed the chaincode indexes', {
        channel: channelId,
        chaincode: chaincode.name,
        packageId: chaincode.packageId,
        namespaces: result.applied.map((a) => a.namespace),
        failed: result.failed.length,
      });
      for (const listener of [...this.#listeners]) listener({ channelId, chaincode, result });
    }
  }

  /** The package's `META-INF/statedb/` files, or undefined (logged) when it cannot be read. */
  async #artifacts(packageId: string): Promise<ReadonlyMap<string, Uint8Array> | undefined> {
    try {
      const bytes = await this.options.store.load(packageId);
      if (bytes === undefined) return undefined;
      return statedbArtifacts(parseChaincodePackage(bytes).codeArchive);
    } catch (err) {
      this.options.logger?.error('could not read the db artifacts of a chaincode package', {
        packageId,
        error: messageOf(err),
      });
      return undefined;
    }
  }
}
