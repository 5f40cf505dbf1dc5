/**
 * Chaincode support in the node (Fabric's peer start-up around chaincode): the installed-package
 * stores under `peer.fileSystemPath`, the definition sources, ChaincodeSupport with the runtimes
 * `vm.providers` lists (in order), its service on the chaincode listener (requiring the chaincode
 * CA's client certificates when TLS is on), the system chaincodes `chaincode.system` enables, and
 * the chaincodes' collections (`_lifecycle`'s with lscc's), which the ledgers check private data
 * against from then on, and whose member policies decide who may read and write them (chaincode
 * calls and DeliverWithPrivateData share one collection store).
 */
import {
  inject,
  injectable,
  LoggerFactory,
  MetricsProvider,
  PeerConfig,
  PluginError,
  type Logger,
  type Service,
  type SystemChaincode,
  type VmProvider,
} from '@fabric-peer/api';
import {
  chaincodeEndpoint,
  chaincodeSettings,
  ChaincodeSupportImpl,
  createChaincodeDefinitions,
  type ChaincodeDefinitionSource,
  type ValidationInfoSource,
} from '@fabric-peer/chaincode';
import {
  FileChaincodePackageStore,
  FileLegacyChaincodeStore,
  InstalledChaincodesImpl,
} from '@fabric-peer/chaincode-packages';
import { Contributions, selections, type ContributionRegistry } from '@fabric-peer/core';
import {
  ChaincodeIndexes,
  CollectionStore,
  createValidationInfoSource,
  Cscc,
  LegacyDefinitions,
  LegacyRunnable,
  Lifecycle,
  LifecycleCollections,
  LifecycleDefinitions,
  Lscc,
  Qscc,
  lifecycleRunnable,
} from '@fabric-peer/scc';
import { ChannelsService } from './channels.js';
import { ChaincodeGrpcServer } from './grpc/listeners.js';
import { LedgersService } from './ledgers.js';
import { parseHostPort } from './listen.js';
import { LocalMspService } from './local-msp.js';

/** System chaincodes this peer provides itself, in deploy order; others come from plugins. */
const BUILTIN_SCCS = ['_lifecycle', 'lscc', 'qscc', 'cscc'] as const;

@injectable()
export class ChaincodeService implements Service {
  readonly name = 'chaincode';
  readonly dependsOn = ['channels'];
  readonly #logger: Logger;
  readonly #systemNames = new Set<string>();
  #support: ChaincodeSupportImpl | undefined;
  #definitions: ChaincodeDefinitionSource | undefined;
  #validationInfo: ValidationInfoSource | undefined;
  #lifecycle: LifecycleDefinitions | undefined;
  #indexes: ChaincodeIndexes | undefined;
  #legacyRunnable: LegacyRunnable | undefined;
  #collections: LifecycleCollections | undefined;
  #collectionStore: CollectionStore | undefined;

  constructor(
    @inject(PeerConfig) private readonly config: PeerConfig,
    @inject(Contributions) private readonly registry: ContributionRegistry,
    @inject(ChannelsService) private readonly channels: ChannelsService,
    @inject(LedgersService) private readonly ledgers: LedgersService,
    @inject(LocalMspService) private readonly localMsp: LocalMspService,
    @inject(ChaincodeGrpcServer) private readonly listener: ChaincodeGrpcServer,
    @inject(LoggerFactory) private readonly loggers: LoggerFactory,
    @inject(MetricsProvider) private readonly metrics: MetricsProvider,
  ) {
    this.#logger = loggers('chaincode');
  }

  /** ChaincodeSupport; only after start. */
  get support(): ChaincodeSupportImpl {
    if (!this.#support) throw new Error('chaincode support starts with the peer');
    return this.#support;
  }

  /** Where chaincode definitions come from; only after start. */
  get definitions(): ChaincodeDefinitionSource {
    if (!this.#definitions) throw new Error('chaincode support starts with the peer');
    return this.#definitions;
  }

  /** How the committer learns to validate each namespace; only after start. */
  get validationInfo(): ValidationInfoSource {
    if (!this.#validationInfo) throw new Error('chaincode support starts with the peer');
    return this.#validationInfo;
  }

  /** The `_lifecycle` definitions (and their cache); only after start. */
  get lifecycle(): LifecycleDefinitions {
    if (!this.#lifecycle) throw new Error('chaincode support starts with the peer');
    return this.#lifecycle;
  }

  /** Deploys the state-database indexes of deployed chaincode; only after start. */
  get indexes(): ChaincodeIndexes {
    if (!this.#indexes) throw new Error('chaincode support starts with the peer');
    return this.#indexes;
  }

  /** The chaincodes' collections, with implicit org collections; only after start. */
  get collections(): LifecycleCollections {
    if (!this.#collections) throw new Error('chaincode support starts with the peer');
    return this.#collections;
  }

  /**
   * Who may read and write each collection (member-only collections and their member policies,
   * Fabric's CollectionStore); only after start.
   */
  get collectionStore(): CollectionStore {
    if (!this.#collectionStore) throw new Error('chaincode support starts with the peer');
    return this.#collectionStore;
  }

  /** Names of the deployed system chaincodes. */
  get systemChaincodes(): ReadonlySet<string> {
    return this.#systemNames;
  }

  async start(): Promise<void> {
    const { config, loggers } = this;
    const localMspId = this.localMsp.local.msp.id;
    const legacyStore = FileLegacyChaincodeStore.fromConfig(config, loggers);
    const packages = FileChaincodePackageStore.fromConfig(config, loggers);
    const installed = new InstalledChaincodesImpl({ packages, legacy: legacyStore });
    const lifecycle = new LifecycleDefinitions({
      channels: this.channels.registry,
      localMspId,
      store: packages,
      // Fabric's dev mode: an approved chaincode that is not installed runs as name:version.
      userRunsChaincode: config.get('chaincode.mode') === 'dev',
      logger: loggers('lifecycle'),
    });
    const legacyRunnable = new LegacyRunnable({
      channels: this.channels.registry,
      store: legacyStore,
      logger: loggers('lifecycle'),
    });
    // Subscribed before the sources follow the channels, so that no change is missed.
    const indexes = new ChaincodeIndexes({
      sources: [lifecycleRunnable(lifecycle, packages), legacyRunnable],
      channels: this.channels.registry,
      logger: loggers('lifecycle'),
    });
    indexes.start();
    this.#indexes = indexes;
    lifecycle.start();
    this.#lifecycle = lifecycle;
    legacyRunnable.start();
    this.#legacyRunnable = legacyRunnable;
    const legacy = new LegacyDefinitions({ store: legacyStore });
    this.#definitions = createChaincodeDefinitions({
      systemChaincodes: this.#systemNames,
      lifecycle,
      legacy,
    });
    this.#validationInfo = createValidationInfoSource({ lifecycle, legacy });
    const dissemination = 'peer.gossip.pvtData.implicitCollectionDisseminationPolicy';
    this.#collections = new LifecycleCollections({
      bundles: (channelId) => this.channels.registry.get(channelId)?.bundle(),
      localMspId,
      dissemination: {
        requiredPeerCount: Number(config.get(`${dissemination}.requiredPeerCount`) ?? 0),
        maxPeerCount: Number(config.get(`${dissemination}.maxPeerCount`) ?? 1),
      },
    });
    this.ledgers.collections.bind(this.#collections);
    this.#collectionStore = new CollectionStore({
      channels: this.channels.registry,
      collections: this.#collections,
    });
    const support = new ChaincodeSupportImpl({
      definitions: this.#definitions,
      installed,
      channels: this.channels.registry,
      acl: this.channels.acl,
      runtimes: this.#runtimes(),
      settings: chaincodeSettings(config),
      logger: this.#logger,
      metrics: this.metrics,
      // Fabric's RetrieveReadWritePermission: member_only_read / member_only_write.
      collectionAccess: this.#collectionStore,
    });
    await support.start();
    this.listener.addService(...support.grpcService());
    const root = support.tlsRootCertPem();
    if (root !== undefined) {
      // Chaincodes trust the chaincode CA only: the listener serves a certificate from it.
      const { host } = parseHostPort(chaincodeEndpoint(config));
      this.listener.overrideTls(await support.listenerCertificate(host), root);
    }
    this.#support = support;

    const sccs = this.#systemChaincodes(legacyStore, packages, lifecycle, legacyRunnable);
    for (const scc of sccs) {
      this.#systemNames.add(scc.name);
      await support.deploySystemChaincode(scc);
    }
  }

  async stop(): Promise<void> {
    await this.#indexes?.stop();
    this.#legacyRunnable?.stop();
    this.#lifecycle?.stop();
    await this.#support?.stop();
  }

  /** The providers of `vm.providers`, in order, each built once (on first launch). */
  #runtimes(): () => readonly VmProvider[] {
    const chosen = selections(this.config, 'vmProvider');
    for (const s of chosen) {
      if (!this.registry.info('vmProvider', s.name)) {
        throw new PluginError(
          `${s.key}.name`,
          s.library ?? '(built-in)',
          `no loaded plugin provides the chaincode runtime "${s.name}"`,
        );
      }
    }
    let providers: VmProvider[] | undefined;
    return () => (providers ??= chosen.map((s) => this.registry.get('vmProvider', s.name)));
  }

  /** The system chaincodes `chaincode.system` enables, built-in ones first. */
  #systemChaincodes(
    store: FileLegacyChaincodeStore,
    packages: FileChaincodePackageStore,
    tracker: LifecycleDefinitions,
    legacyRunnable: LegacyRunnable,
  ): SystemChaincode[] {
    const localMspId = this.localMsp.local.msp.id;
    const { registry: channels, acl } = this.channels;
    const out: SystemChaincode[] = [];
    for (const s of selections(this.config, 'systemChaincode')) {
      switch (s.name) {
        case '_lifecycle':
          out.push(
            new Lifecycle({
              channels,
              acl,
              store: packages,
              localMspId,
              tracker,
              logger: this.loggers('scc.lifecycle'),
            }),
          );
          break;
        case 'lscc':
          out.push(
            new Lscc({
              channels,
              acl,
              store,
              systemChaincodes: this.#systemNames,
              onInstalled: () => legacyRunnable.installed(),
              logger: this.loggers('scc.lscc'),
            }),
          );
          break;
        case 'qscc':
          out.push(new Qscc({ channels, acl }));
          break;
        case 'cscc':
          out.push(new Cscc({ channels, acl, logger: this.loggers('scc.cscc') }));
          break;
        default:
          out.push(this.registry.get('systemChaincode', s.name));
      }
    }
    const order = (name: string) => {
      const i = (BUILTIN_SCCS as readonly string[]).indexOf(name);
      return i < 0 ? BUILTIN_SCCS.length : i;
    };
    return out.sort((a, b) => order(a.name) - order(b.name));
  }
}
