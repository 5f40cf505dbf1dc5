/**
 * The Gateway service on the peer listener (`peer.gateway.enabled`): Evaluate, Endorse, Submit,
 * CommitStatus, ChaincodeEvents. Until discovery exists, the peers of other organizations are the
 * anchor peers the channel configuration names (with their organization's TLS roots), and a
 * chaincode's endorsement policy comes from its definition (`_lifecycle`, else lscc).
 */
import {
  inject,
  injectable,
  LoggerFactory,
  PeerConfig,
  type Logger,
  type Service,
} from '@fabric-peer/api';
import { GatewayServer, type RemotePeer } from '@fabric-peer/gateway';
import type { ChannelConfigBundle } from '@fabric-peer/policies';
import { msp as mspProtos, protos } from '@fabric-peer/protos';
import { ChaincodeService } from './chaincode.js';
import { ChannelsService } from './channels.js';
import { EndorserService } from './endorser.js';
import { PeerGrpcServer } from './grpc/listeners.js';
import { LocalMspService } from './local-msp.js';
import { OrderingService } from './ordering.js';

@injectable()
export class GatewayService implements Service {
  readonly name = 'gateway';
  readonly dependsOn = ['endorser', 'ordering'];
  readonly #logger: Logger;
  #server: GatewayServer | undefined;

  constructor(
    @inject(PeerConfig) private readonly config: PeerConfig,
    @inject(ChannelsService) private readonly channels: ChannelsService,
    @inject(ChaincodeService) private readonly chaincode: ChaincodeService,
    @inject(EndorserService) private readonly endorser: EndorserService,
    @inject(OrderingService) private readonly ordering: OrderingService,
    @inject(LocalMspService) private readonly localMsp: LocalMspService,
    @inject(PeerGrpcServer) private readonly listener: PeerGrpcServer,
    @inject(LoggerFactory) loggers: LoggerFactory,
  ) {
    this.#logger = loggers('gateway');
  }

  start(): Promise<void> {
    const { config } = this;
    if (config.get('peer.gateway.enabled') === false) return Promise.resolve();
    const registry = this.channels.registry;
    const localMspId = this.localMsp.local.msp.id;
    const validationInfo = this.chaincode.validationInfo;
    const tls = config.get('peer.tls.enabled') === true;
    const server = new GatewayServer({
      localEndorser: this.endorser.processor,
      channels: registry,
      acl: this.channels.acl,
      orderingClient: this.ordering.client,
      localMspId,
      localEndpoint: String(config.get('peer.address')),
      remotePeers: (channelId) => remotePeers(registry.get(channelId)?.bundle(), localMspId, tls),
      policyFor: async (channelId, chaincode) => {
        const channel = registry.get(channelId);
        if (!channel) return undefined;
        const qe = await channel.ledger.newQueryExecutor();
        try {
          const info = await validationInfo.validationInfo(channelId, chaincode, qe);
          return protos.ApplicationPolicy.decode(info.validationParameter);
        } catch {
          return undefined;
        } finally {
          qe.done();
        }
      },
      settings: {
        endorsementTimeoutMs: config.durationMs('peer.gateway.endorsementTimeout') ?? 30_000,
        broadcastTimeoutMs: config.durationMs('peer.gateway.broadcastTimeout') ?? 30_000,
        dialTimeoutMs: config.durationMs('peer.gateway.dialTimeout') ?? 120_000,
      },
      logger: this.#logger,
    });
    this.listener.addService(...server.grpcService());
    this.#server = server;
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.#server?.close();
    return Promise.resolve();
  }
}

/**
 * The anchor peers of the other application organizations, with their TLS roots when this peer
 * uses TLS (a network is TLS throughout or not at all).
 */
export function remotePeers(
  bundle: ChannelConfigBundle | undefined,
  localMspId: string,
  tls: boolean,
): RemotePeer[] {
  const out: RemotePeer[] = [];
  for (const org of bundle?.application?.organizations.values() ?? []) {
    if (org.mspId === localMspId) continue;
    const fabricMsp = mspProtos.FabricMSPConfig.decode(org.mspConfig.config);
    const roots = [...fabricMsp.tlsRootCerts, ...fabricMsp.tlsIntermediateCerts]
      .map((c) => Buffer.from(c).toString())
      .join('\n');
    for (const a of org.anchorPeers) {
      out.push({
        endpoint: `${a.host}:${a.port}`,
        mspId: org.mspId,
        ...(tls && roots !== '' ? { tlsRootCertPem: roots } : {}),
      });
    }
  }
  return out;
}
