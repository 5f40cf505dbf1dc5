/**
 * The peer as a client of the ordering service (Fabric's deliver service client and broadcast):
 * one ordering client over the orderer endpoints of each channel's configuration
 * (`peer.deliveryclient.*`, TLS from `peer.tls.*`), used by the gateway to submit transactions.
 */
import {
  inject,
  injectable,
  LoggerFactory,
  PeerConfig,
  type Logger,
  type Service,
} from '@fabric-peer/api';
import {
  createOrderingClient,
  deliverySettingsFromConfig,
  type DeliveryClientSettings,
  type OrderingClientHandle,
} from '@fabric-peer/deliver';
import { ChannelsService } from './channels.js';

@injectable()
export class OrderingService implements Service {
  readonly name = 'ordering';
  readonly dependsOn = ['channels'];
  readonly #logger: Logger;
  #settings: DeliveryClientSettings | undefined;
  #client: OrderingClientHandle | undefined;

  constructor(
    @inject(PeerConfig) private readonly config: PeerConfig,
    @inject(ChannelsService) private readonly channels: ChannelsService,
    @inject(LoggerFactory) loggers: LoggerFactory,
  ) {
    this.#logger = loggers('deliveryClient');
  }

  /** The delivery client settings core.yaml gives; only after start. */
  get settings(): DeliveryClientSettings {
    if (!this.#settings) throw new Error('the ordering client starts with the peer');
    return this.#settings;
  }

  /** Broadcast and deliver against each channel's orderers; only after start. */
  get client(): OrderingClientHandle {
    if (!this.#client) throw new Error('the ordering client starts with the peer');
    return this.#client;
  }

  async start(): Promise<void> {
    const settings = await deliverySettingsFromConfig(this.config, this.#logger);
    this.#settings = settings;
    this.#client = createOrderingClient({
      channels: this.channels.registry,
      settings,
      broadcastTimeoutMs: this.config.durationMs('peer.gateway.broadcastTimeout') ?? 30_000,
      logger: this.#logger,
    });
  }

  async stop(): Promise<void> {
    await this.#client?.close();
  }
}
