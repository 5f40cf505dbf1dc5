/**
 * The channels this peer joined (Fabric's peer.Peer channel map) and the ACL provider over their
 * bundles: restored at start from the ledgers, each with the configuration its ledger stores, and
 * joined later through cscc.
 */
import { inject, injectable, LoggerFactory, type Logger, type Service } from '@fabric-peer/api';
import { ChannelManager, type ChannelRegistry } from '@fabric-peer/channel';
import { createAclProvider, type AclProvider } from '@fabric-peer/policies';
import { LedgersService } from './ledgers.js';
import { LocalMspService } from './local-msp.js';

@injectable()
export class ChannelsService implements Service {
  readonly name = 'channels';
  readonly dependsOn = ['local-msp', 'ledgers'];
  readonly #logger: Logger;
  #manager: ChannelManager | undefined;
  #acl: AclProvider | undefined;

  constructor(
    @inject(LedgersService) private readonly ledgers: LedgersService,
    @inject(LocalMspService) private readonly localMsp: LocalMspService,
    @inject(LoggerFactory) loggers: LoggerFactory,
  ) {
    this.#logger = loggers('node.channels');
  }

  /** The joined channels; only after start. */
  get registry(): ChannelRegistry {
    if (!this.#manager) throw new Error('the channels are restored when the peer starts');
    return this.#manager;
  }

  /** Fabric's ACL provider over the channels' bundles and the local MSP; only after start. */
  get acl(): AclProvider {
    if (!this.#acl) throw new Error('the ACL provider is built when the peer starts');
    return this.#acl;
  }

  async start(): Promise<void> {
    const manager = new ChannelManager({ ledgers: this.ledgers.manager, logger: this.#logger });
    await manager.restore();
    const { msp } = this.localMsp.local;
    this.#acl = createAclProvider({
      bundles: (channelId) => manager.get(channelId)?.bundle(),
      localMsp: { mspId: msp.id, deserializeIdentity: (bytes) => msp.deserializeIdentity(bytes) },
      logger: this.#logger,
    });
    this.#manager = manager;
    this.#logger.info('channels ready', { channels: manager.ids() });
  }

  stop(): Promise<void> {
    this.#manager?.close();
    this.#manager = undefined;
    return Promise.resolve();
  }
}
