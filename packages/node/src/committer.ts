/**
 * The committer side of the peer: the transient store (private data the endorser hands over until
 * its block commits) and one Committer per joined channel (verify, validate with the validation
 * plugins `peer.handlers.validators` maps, commit), fed by the delivery service.
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
} from '@fabric-peer/api';
import type { Channel } from '@fabric-peer/channel';
import {
  Committer,
  committerSettings,
  openTransientStore,
  type TransientStore,
} from '@fabric-peer/committer';
import { Contributions, validationPlugin, type ContributionRegistry } from '@fabric-peer/core';
import { ChaincodeService } from './chaincode.js';

@injectable()
export class CommitterService implements Service {
  readonly name = 'committer';
  readonly dependsOn = ['chaincode'];
  readonly #logger: Logger;
  readonly #committers = new Map<string, Committer>();
  #store: TransientStore | undefined;

  constructor(
    @inject(PeerConfig) private readonly config: PeerConfig,
    @inject(Contributions) private readonly registry: ContributionRegistry,
    @inject(ChaincodeService) private readonly chaincode: ChaincodeService,
    @inject(LoggerFactory) private readonly loggers: LoggerFactory,
    @inject(MetricsProvider) private readonly metrics: MetricsProvider,
  ) {
    this.#logger = loggers('committer');
  }

  /** Private data awaiting commit; the endorser hands it over here. Only after start. */
  get transientStore(): TransientStore {
    if (!this.#store) throw new Error('the committer starts with the peer');
    return this.#store;
  }

  /** The committer of a joined channel (made on first use). */
  committerFor(channel: Channel): Committer {
    let committer = this.#committers.get(channel.id);
    if (committer === undefined) {
      const settings = committerSettings(this.config);
      const { registry, config } = this;
      committer = new Committer({
        channel,
        validationInfo: this.chaincode.validationInfo,
        // A name peer.handlers.validators does not map: undefined, and the block stops with
        // Fabric's message.
        validationPlugin: (name) => {
          try {
            return validationPlugin(registry, config, name);
          } catch (err) {
            if (err instanceof PluginError) return undefined;
            throw err;
          }
        },
        privateData: {
          store: this.transientStore.channel(channel.id),
          localMspId: settings.localMspId,
          // Explicit collections this org belongs to are taken from the transient store too.
          collections: this.chaincode.collections,
          transientBlockRetention: settings.transientBlockRetention,
        },
        logger: this.loggers('committer'),
        metrics: this.metrics,
      });
      this.#committers.set(channel.id, committer);
    }
    return committer;
  }

  async start(): Promise<void> {
    this.#store = await openTransientStore(committerSettings(this.config).transientStorePath);
    this.#logger.debug('transient store open');
  }

  async stop(): Promise<void> {
    this.#committers.clear();
    await this.#store?.close();
    this.#store = undefined;
  }
}
