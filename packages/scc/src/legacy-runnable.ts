/**
 * The lscc chaincodes this peer can run (Fabric's cceventmgmt for legacy chaincode): deployed on
 * a channel with lscc, not since defined through `_lifecycle`, and installed here under the same
 * name and version. Changes are reported when a channel appears, after each block with valid lscc
 * writes, and after an lscc install (for every channel). {@link ChaincodeIndexes} uses it to
 * create the CouchDB indexes of legacy chaincode packages.
 */
import type { Logger } from '@fabric-peer/api';
import { statedbArtifacts, type LegacyChaincodeStore } from '@fabric-peer/chaincode-packages';
import type { ChannelRegistry } from '@fabric-peer/channel';
import { protos } from '@fabric-peer/protos';
import type { RunnableChaincode, RunnableChaincodes } from './chaincode-indexes.js';
import { chaincodeInfo, collectionNames } from './lifecycle/deployed.js';
import { Listeners, messageOf } from './util.js';

const VALID = 0;
const LSCC = 'lscc';

/** Options of {@link LegacyRunnable}. */
export interface LegacyRunnableOptions {
  readonly channels: Pick<ChannelRegistry, 'onChannel' | 'get' | 'ids'>;
  readonly store: Pick<LegacyChaincodeStore, 'get'>;
  readonly logger?: Logger;
}

export class LegacyRunnable implements RunnableChaincodes {
  readonly #changes: Listeners<[channelId: string]>;
  readonly #stops: (() => void)[] = [];

  constructor(private readonly options: LegacyRunnableOptions) {
    this.#changes = new Listeners((err) =>
      options.logger?.error('a legacy chaincode change listener failed', {
        error: messageOf(err),
      }),
    );
  }

  /** Follows every joined channel (now and later) and its committed blocks. */
  start(): void {
    if (this.#stops.length > 0) return;
    this.#stops.push(
      this.options.channels.onChannel((channel) => {
        this.#stops.push(
          channel.ledger.onCommit((event) => {
            const deploys = event.txs.some(
              (tx) =>
                tx.validationCode === VALID &&
                tx.rwset?.nsRwSets.some(
                  (ns) => ns.namespace === LSCC && ns.kvRwSet.writes.length > 0,
                ),
            );
            if (deploys) this.#changes.emit(channel.id);
          }),
        );
        this.#changes.emit(channel.id);
      }),
    );
  }

  stop(): void {
    for (const stop of this.#stops.splice(0)) stop();
  }

  /** To be called after an lscc install: the chaincode may be deployed on any channel. */
  installed(): void {
    for (const id of this.options.channels.ids()) this.#changes.emit(id);
  }

  onChange(listener: (channelId: string) => void): () => void {
    return this.#changes.add(listener);
  }

  async runnable(channelId: string): Promise<RunnableChaincode[]> {
    const ledger = this.options.channels.get(channelId)?.ledger;
    if (ledger === undefined) return [];
    const out: RunnableChaincode[] = [];
    const qe = await ledger.newQueryExecutor();
    try {
      const names: string[] = [];
      const itr = await qe.getStateRangeScanIterator(LSCC, '', '');
      try {
        // lscc keeps `<name>` (ChaincodeData) and `<name>~collection` per chaincode.
        for (let kv = await itr.next(); kv !== undefined; kv = await itr.next()) {
          if (!kv.key.includes('~')) names.push(kv.key);
        }
      } finally {
        await itr.close();
      }
      for (const name of names) {
        let info;
        try {
          info = await chaincodeInfo(name, qe);
        } catch (err) {
          this.options.logger?.warn('skipping an unreadable lscc definition', {
            channel: channelId,
            chaincode: name,
            error: messageOf(err),
          });
          continue;
        }
        if (info === undefined || !info.isLegacy) continue;
        const installed = await this.options.store.get(name, info.version);
        if (installed === undefined) continue;
        out.push({
          name,
          deployment: `${info.version}:${Buffer.from(installed.id).toString('hex')}`,
          collections: collectionNames(info.explicitCollections),
          statedbArtifacts: () =>
            Promise.resolve(
              statedbArtifacts(
                protos.ChaincodeDeploymentSpec.decode(installed.deploymentSpec).codePackage,
              ),
            ),
        });
      }
    } finally {
      qe.done();
    }
    return out;
  }
}
