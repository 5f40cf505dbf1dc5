/**
 * The Deliver service on the peer listener (Deliver, DeliverFiltered, DeliverWithPrivateData):
 * blocks of the joined channels for clients allowed `event/Block` / `event/FilteredBlock`.
 */
import {
  inject,
  injectable,
  LoggerFactory,
  MetricsProvider,
  PeerConfig,
  type Service,
} from '@fabric-peer/api';
import { deliverGrpcService } from '@fabric-peer/deliver';
import { ChannelsService } from './channels.js';
import { PeerGrpcServer } from './grpc/listeners.js';

@injectable()
export class DeliverService implements Service {
  readonly name = 'deliver';
  readonly dependsOn = ['channels'];

  constructor(
    @inject(PeerConfig) private readonly config: PeerConfig,
    @inject(ChannelsService) private readonly channels: ChannelsService,
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
