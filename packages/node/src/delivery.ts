/**
 * Block delivery into the peer (Fabric's deliver service client): for every joined channel, restored
 * at start or joined later through cscc, the blocks the channel's orderers deliver from the ledger's
 * height are committed in order by the channel's committer.
 */
import { inject, injectable, LoggerFactory, type Logger, type Service } from '@fabric-peer/api';
import { createDeliveryClient, type DeliveryClient } from '@fabric-peer/deliver';
import { ChannelsService } from './channels.js';
import { CommitterService } from './committer.js';
import { LocalMspService } from './local-msp.js';
import { OrderingService } from './ordering.js';

@injectable()
export class DeliveryService implements Service {
  readonly name = 'delivery';
  readonly dependsOn = ['committer', 'ordering'];
  readonly #logger: Logger;
  #client: DeliveryClient | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(
    @inject(ChannelsService) private readonly channels: ChannelsService,
    @inject(CommitterService) private readonly committer: CommitterService,
    @inject(OrderingService) private readonly ordering: OrderingService,
    @inject(LocalMspService) private readonly localMsp: LocalMspService,
    @inject(LoggerFactory) loggers: LoggerFactory,
  ) {
    this.#logger = loggers('deliveryClient');
  }

  start(): Promise<void> {
    const client = createDeliveryClient({
      signer: this.localMsp.local.signer,
      committer: (channel) => {
        const committer = this.committer.committerFor(channel);
        return async (block) => {
          await committer.commitBlock(block);
        };
      },
      settings: this.ordering.settings,
      logger: this.#logger,
    });
    this.#client = client;
    // Told of every channel: those restored at start and those joined later.
    this.#unsubscribe = this.channels.registry.onChannel((channel) =>
      client.startDeliverForChannel(channel),
    );
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    await this.#client?.stop();
  }
}
