/**
 * The Endorser service on the peer listener: Fabric's endorser behind the auth filters
 * `peer.handlers.authFilters` chains (in order), with the decorators `peer.handlers.decorators`
 * lists and the endorsement plugins `peer.handlers.endorsers` maps. After `fabric-peer node reset`,
 * a RebuildGate in front of them refuses proposals until the ledgers are back at their heights.
 */
import {
  inject,
  injectable,
  LoggerFactory,
  MetricsProvider,
  PeerConfig,
  PluginError,
  type ProposalProcessor,
  type Service,
} from '@fabric-peer/api';
import {
  authFilterChain,
  Contributions,
  decorators,
  endorsementPlugin,
  type ContributionRegistry,
} from '@fabric-peer/core';
import { Endorser, endorserGrpcService } from '@fabric-peer/endorser';
import { ChaincodeService } from './chaincode.js';
import { ChannelsService } from './channels.js';
import { CommitterService } from './committer.js';
import { PeerGrpcServer } from './grpc/listeners.js';
import { LedgersService } from './ledgers.js';
import { LocalMspService } from './local-msp.js';
import { RebuildGate } from './rebuild-gate.js';

@injectable()
export class EndorserService implements Service {
  readonly name = 'endorser';
  readonly dependsOn = ['chaincode', 'committer'];
  #endorser: Endorser | undefined;
  #processor: ProposalProcessor | undefined;
  #gate: RebuildGate | undefined;

  constructor(
    @inject(PeerConfig) private readonly config: PeerConfig,
    @inject(Contributions) private readonly registry: ContributionRegistry,
    @inject(ChannelsService) private readonly channels: ChannelsService,
    @inject(ChaincodeService) private readonly chaincode: ChaincodeService,
    @inject(CommitterService) private readonly committer: CommitterService,
    @inject(LocalMspService) private readonly localMsp: LocalMspService,
    @inject(LedgersService) private readonly ledgers: LedgersService,
    @inject(PeerGrpcServer) private readonly listener: PeerGrpcServer,
    @inject(LoggerFactory) private readonly loggers: LoggerFactory,
    @inject(MetricsProvider) private readonly metrics: MetricsProvider,
  ) {}

  /** The endorser behind its auth filters (what the gateway calls); only after start. */
  get processor(): ProposalProcessor {
    if (!this.#processor) throw new Error('the endorser starts with the peer');
    return this.#processor;
  }

  /** The endorser (without the auth filters); only after start. */
  get endorser(): Endorser {
    if (!this.#endorser) throw new Error('the endorser starts with the peer');
    return this.#endorser;
  }

  async start(): Promise<void> {
    const { config, registry } = this;
    const local = this.localMsp.local;
    const endorser = new Endorser({
      channels: this.channels.registry,
      chaincodeSupport: this.chaincode.support,
      definitions: this.chaincode.definitions,
      acl: this.channels.acl,
      localMsp: local.msp,
      signer: local.signer,
      decorators: decorators(registry, config),
      // A name peer.handlers.endorsers does not map: undefined, and the endorser answers with
      // Fabric's message for an unknown plugin.
      endorsementPlugin: (name) => {
        try {
          return Promise.resolve(endorsementPlugin(registry, config, name));
        } catch (err) {
          if (err instanceof PluginError) return Promise.resolve(undefined);
          throw err;
        }
      },
      systemChaincodes: this.chaincode.systemChaincodes,
      // Private writes wait in the transient store until their block commits.
      privateData: this.committer.transientStore,
      logger: this.loggers('endorser'),
      metrics: this.metrics,
    });
    let processor = authFilterChain(registry, config, endorser);
    const preReset = await this.ledgers.manager.preResetHeights();
    if (preReset.size > 0) {
      const manager = this.ledgers.manager;
      this.#gate = new RebuildGate(processor, {
        heights: preReset,
        heightOf: (id) => {
          const ledger = this.channels.registry.get(id)?.ledger;
          return ledger === undefined ? undefined : Number(ledger.getBlockchainInfo().height);
        },
        onRebuilt: () => manager.clearPreResetHeights(),
        logger: this.loggers('peer'),
      });
      this.#gate.start();
      processor = this.#gate;
    }
    this.listener.addService(...endorserGrpcService(processor));
    this.#endorser = endorser;
    this.#processor = processor;
  }

  stop(): Promise<void> {
    this.#gate?.stop();
    return Promise.resolve();
  }
}
