/**
 * The peer's ledgers (Fabric's ledger manager): opened at start with the state database core.yaml
 * chooses, closed at stop. The channels service opens each joined channel's ledger (recovering it
 * from its blocks if a crash left its state or history behind). Simulations check collection names
 * against the chaincodes' collections, which chaincode support binds once it has started. Private
 * data expires by its collection's block-to-live, read from the committed definitions (so also
 * while a ledger replays its blocks on opening).
 */
import {
  FabricPeerError,
  inject,
  injectable,
  LoggerFactory,
  PeerConfig,
  PluginError,
  type Logger,
  type Service,
  type StateDatabaseProvider,
} from '@fabric-peer/api';
import { Contributions, type ContributionRegistry } from '@fabric-peer/core';
import {
  ledgerConfig,
  openLedgerManager,
  type CollectionConfigProvider,
  type LedgerManager,
  type SimpleQueryExecutor,
} from '@fabric-peer/ledger';
import type { protos } from '@fabric-peer/protos';
import { lifecycleBlockToLive } from '@fabric-peer/scc';

/**
 * The chaincodes' collections, bound later: the ledgers open (and the channels restore) before
 * chaincode support exists, and nothing simulates before it has started.
 */
export class BoundCollections implements CollectionConfigProvider {
  #provider: CollectionConfigProvider | undefined;

  /** Where collection configurations come from from now on (`_lifecycle`'s, with lscc's). */
  bind(provider: CollectionConfigProvider): void {
    this.#provider = provider;
  }

  allCollectionsConfigPkg(
    channelId: string,
    namespace: string,
    qe: SimpleQueryExecutor,
  ): Promise<protos.CollectionConfigPackage | undefined> {
    if (this.#provider === undefined) {
      return Promise.reject(
        new FabricPeerError(
          'NOT_STARTED',
          `the collections of chaincode ${namespace} are known once chaincode support has started`,
        ),
      );
    }
    return this.#provider.allCollectionsConfigPkg(channelId, namespace, qe);
  }
}

@injectable()
export class LedgersService implements Service {
  readonly name = 'ledgers';
  readonly #logger: Logger;
  /** The collections the ledgers check private data against (bound by chaincode support). */
  readonly collections = new BoundCollections();
  #manager: LedgerManager | undefined;
  #provider: StateDatabaseProvider | undefined;

  constructor(
    @inject(PeerConfig) private readonly config: PeerConfig,
    @inject(Contributions) private readonly registry: ContributionRegistry,
    @inject(LoggerFactory) loggers: LoggerFactory,
  ) {
    this.#logger = loggers('ledger');
  }

  /** The ledger manager; only after start. */
  get manager(): LedgerManager {
    if (!this.#manager) throw new Error('the ledgers are opened when the peer starts');
    return this.#manager;
  }

  async start(): Promise<void> {
    const name = String(this.config.get('ledger.state.stateDatabase'));
    if (!this.registry.info('stateDatabase', name)) {
      const library = this.config.get('ledger.state.library');
      throw new PluginError(
        'ledger.state.stateDatabase',
        typeof library === 'string' && library !== '' ? library : '(built-in)',
        `no loaded plugin provides the state database "${name}"`,
      );
    }
    this.#provider = this.registry.get('stateDatabase', name);
    const settings = ledgerConfig(this.config);
    this.#manager = await openLedgerManager({
      ...settings,
      stateDatabaseProvider: this.#provider,
      collections: this.collections,
      blockToLive: lifecycleBlockToLive,
      logger: this.#logger,
    });
    this.#logger.info('ledgers ready', { stateDatabase: name, folder: this.#manager.rootDir });
  }

  async stop(): Promise<void> {
    await this.#manager?.close();
    await this.#provider?.close();
  }
}
