/**
 * The Deliver service on the peer listener (Deliver, DeliverFiltered, DeliverWithPrivateData):
 * blocks of the joined channels for clients allowed `event/Block` / `event/FilteredBlock`, with,
 * for DeliverWithPrivateData, the private write sets the ledger keeps for each block, limited to
 * the collections the requester may read (the chaincodes' current collection configuration, through
 * the collection store chaincode support also checks chaincode calls with).
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
import { ChaincodeService } from './chaincode.js';
import { ChannelsService } from './channels.js';
import { PeerGrpcServer } from './grpc/listeners.js';

@injectable()
export class DeliverService implements Service {
  readonly name = 'deliver';
  // Chaincode support owns the collection store the private data filter asks.
  readonly dependsOn = ['channels', 'chaincode'];

  constructor(
    @inject(PeerConfig) private readonly config: PeerConfig,
    @inject(ChannelsService) private readonly channels: ChannelsService,
    @inject(ChaincodeService) private readonly chaincode: ChaincodeService,
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
          collectionPolicy: this.chaincode.collectionStore,
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
