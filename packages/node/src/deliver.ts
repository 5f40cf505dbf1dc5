/**
 * The Deliver service on the peer listener (Deliver, DeliverFiltered, DeliverWithPrivateData):
 * blocks of the joined channels for clients allowed `event/Block` / `event/FilteredBlock`, with,
 * for DeliverWithPrivateData, the private write sets the ledger keeps for each block, limited to
 * the collections the requester may read (the chaincodes' current collection configuration).
 */
import {
  inject,
  injectable,
  LoggerFactory,
  MetricsProvider,
  PeerConfig,
  type Service,
} from '@fabric-peer/api';
import { deliverGrpcService, ledgerPrivateDataSource } from '@fabric-peer/deliver';
import { ChannelsService } from './channels.js';
import { PeerGrpcServer } from './grpc/listeners.js';
import { LedgersService } from './ledgers.js';

@injectable()
export class DeliverService implements Service {
  readonly name = 'deliver';
  readonly dependsOn = ['channels'];

  constructor(
    @inject(PeerConfig) private readonly config: PeerConfig,
    @inject(ChannelsService) private readonly channels: ChannelsService,
    @inject(LedgersService) private readonly ledgers: LedgersService,
    @inject(PeerGrpcServer) private readonly listener: PeerGrpcServer,
    @inject(LoggerFactory) private readonly loggers: LoggerFactory,
    @inject(MetricsProvider) private readonly metrics: MetricsProvider,
  ) {}

  start(): Promise<void> {
    const { config } = this;
    this.listener.addService(
      ...deliverGrpcService({
        channels: this.channels.registry,
        acl: this.channels.acl,
        timeWindowMs: config.durationMs('peer.authentication.timewindow') ?? 15 * 60_000,
        mutualTls:
          config.get('peer.tls.enabled') === true &&
          config.get('peer.tls.clientAuthRequired') === true,
        privateData: ledgerPrivateDataSource({
          channels: this.channels.registry,
          // Bound by chaincode support when it starts (the services' order does not promise it first).
          collections: this.ledgers.collections,
        }),
        logger: this.loggers('common.deliver'),
        metrics: this.metrics,
      }),
    );
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}
