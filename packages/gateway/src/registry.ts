/**
 * The endorsing peers of each channel (Fabric's gateway registry, fed by configuration until
 * discovery exists): this peer when it has joined the channel, and the configured remote peers,
 * whose connections are kept and reused until a failure drops them.
 */
import type { Logger } from '@fabric-peer/api';
import type { ChannelRegistry } from '@fabric-peer/channel';
import {
  RemoteEndorser,
  type DialOptions,
  type EndorserEndpoint,
  type LocalEndorser,
} from './endpoints.js';
import type { RemotePeer } from './types.js';

export class PeerRegistry {
  readonly #remotes = new Map<string, RemoteEndorser>();

  constructor(
    readonly local: LocalEndorser,
    private readonly channels: ChannelRegistry,
    private readonly remotePeers: (channelId: string) => readonly RemotePeer[],
    private readonly dial: DialOptions,
    private readonly logger: Logger,
  ) {}

  private remote(peer: RemotePeer): RemoteEndorser {
    const key = `${peer.endpoint}|${peer.mspId}|${peer.tlsRootCertPem ?? ''}`;
    let endorser = this.#remotes.get(key);
    if (endorser === undefined) {
      endorser = new RemoteEndorser(peer.endpoint, peer.mspId, peer.tlsRootCertPem, this.dial);
      this.#remotes.set(key, endorser);
      this.logger.info('Added peer to registry', { address: peer.endpoint, mspid: peer.mspId });
    }
    return endorser;
  }

  /**
   * The channel's endorsing peers by organization, in preference order: this peer first in its
   * organization, then the configured peers in the order given.
   */
  endorsersByOrg(channelId: string): Map<string, EndorserEndpoint[]> {
    const byOrg = new Map<string, EndorserEndpoint[]>();
    const add = (e: EndorserEndpoint): void => {
      const list = byOrg.get(e.mspId);
      if (list === undefined) byOrg.set(e.mspId, [e]);
      else if (!list.includes(e)) list.push(e);
    };
    if (this.channels.get(channelId) !== undefined) add(this.local);
    let peers: readonly RemotePeer[] = [];
    try {
      peers = this.remotePeers(channelId);
    } catch (err) {
      this.logger.warn('failed to list the remote peers of the channel', {
        channel: channelId,
        error: String(err),
      });
    }
    for (const peer of peers) {
      if (peer.endpoint === '' || peer.mspId === '') continue;
      if (peer.endpoint === this.local.address) continue;
      add(this.remote(peer));
    }
    return byOrg;
  }

  /** Drops a peer's connection after a failure that suggests it is gone (never this peer). */
  remove(endorser: EndorserEndpoint): void {
    if (endorser.local) return;
    this.logger.info('Closing connection to remote endorser', {
      address: endorser.address,
      mspid: endorser.mspId,
    });
    endorser.close();
  }

  close(): void {
    for (const endorser of this.#remotes.values()) endorser.close();
    this.#remotes.clear();
  }
}
