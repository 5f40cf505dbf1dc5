/**
 * Dialling an orderer's AtomicBroadcast service with grpc-js (Fabric's deliverservice
 * DialerAdapter over comm.ClientConfig): TLS with the endpoint's roots when `peer.tls.enabled`,
 * the peer's client certificate under mutual TLS, keepalive, message sizes, and a connection that
 * must be ready within `peer.deliveryclient.connTimeout`.
 */
import * as grpc from '@grpc/grpc-js';
import { AtomicBroadcastService, type common, type orderer } from '@fabric-peer/protos';
import { DeliverError, messageOf } from './errors.js';
import type { DeliveryClientSettings } from './settings.js';

/** A grpc-js client of `orderer.AtomicBroadcast`. */
export interface AtomicBroadcastClient extends grpc.Client {
  broadcast(
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<common.Envelope.$Properties, orderer.BroadcastResponse>;
  deliver(
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<common.Envelope.$Properties, orderer.DeliverResponse>;
}

type ClientConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => AtomicBroadcastClient;

const AtomicBroadcastClientCtor = grpc.makeGenericClientConstructor(
  AtomicBroadcastService,
  'AtomicBroadcast',
) as unknown as ClientConstructor;

const PEM_PREFIX = '-----BEGIN';

/** Root certificates as one PEM bundle (DER entries are wrapped). */
export function pemBundle(certs: readonly Uint8Array[]): Buffer {
  const parts = certs.map((c) => {
    const text = Buffer.from(c).toString('latin1');
    if (text.trimStart().startsWith(PEM_PREFIX)) return text.endsWith('\n') ? text : `${text}\n`;
    const b64 = Buffer.from(c).toString('base64');
    return `-----BEGIN CERTIFICATE-----\n${(b64.match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`;
  });
  return Buffer.from(parts.join(''), 'latin1');
}

/** Makes grpc-js clients for orderer endpoints. */
export class OrdererDialer {
  constructor(private readonly settings: DeliveryClientSettings) {}

  #credentials(rootCerts: readonly Uint8Array[]): grpc.ChannelCredentials {
    const tls = this.settings.tls;
    if (!tls.enabled) return grpc.credentials.createInsecure();
    // No roots: grpc-js falls back to the system's, as Go's TLS does with a nil pool.
    const roots = rootCerts.length > 0 ? pemBundle(rootCerts) : null;
    if (tls.clientCert !== undefined && tls.clientKey !== undefined) {
      return grpc.credentials.createSsl(
        roots,
        Buffer.from(tls.clientKey),
        Buffer.from(tls.clientCert),
      );
    }
    return grpc.credentials.createSsl(roots);
  }

  /** A client for `address`; the connection is made lazily (see {@link dial}). */
  client(address: string, rootCerts: readonly Uint8Array[]): AtomicBroadcastClient {
    const s = this.settings;
    return new AtomicBroadcastClientCtor(address, this.#credentials(rootCerts), {
      'grpc.keepalive_time_ms': s.keepalive.intervalMs,
      'grpc.keepalive_timeout_ms': s.keepalive.timeoutMs,
      'grpc.max_receive_message_length': s.maxRecvMsgSize,
      'grpc.max_send_message_length': s.maxSendMsgSize,
      'grpc.enable_channelz': 0,
      // Each dial is its own connection, as Fabric's: a sub-channel shared with an earlier, failed
      // client would inherit its reconnection backoff.
      'grpc.use_local_subchannel_pool': 1,
    });
  }

  /**
   * Connects to `address` and waits until the connection is ready, at most `connTimeoutMs`;
   * throws ORDERER_UNREACHABLE (and closes the client) otherwise, or when `signal` aborts.
   */
  async dial(
    address: string,
    rootCerts: readonly Uint8Array[],
    signal?: AbortSignal,
  ): Promise<AtomicBroadcastClient> {
    let client: AtomicBroadcastClient;
    try {
      client = this.client(address, rootCerts);
    } catch (err) {
      throw new DeliverError(
        'ORDERER_UNREACHABLE',
        `could not dial endpoint '${address}': ${messageOf(err)}`,
        { cause: err, details: { address } },
      );
    }
    const deadline = Date.now() + Math.max(1, this.settings.connTimeoutMs);
    try {
      await waitUntilReady(client, deadline, signal);
    } catch (err) {
      client.close();
      throw new DeliverError(
        'ORDERER_UNREACHABLE',
        `could not dial endpoint '${address}': ${messageOf(err)}`,
        { cause: err, details: { address } },
      );
    }
    return client;
  }
}

/**
 * Resolves once the client's channel is READY. Unlike grpc-js's waitForReady, which keeps
 * retrying until the deadline, a failed connection attempt (refused, TLS handshake failed) fails
 * at once: the caller then tries another orderer instead of waiting out the timeout.
 */
function waitUntilReady(
  client: grpc.Client,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const channel = client.getChannel();
  const State = grpc.connectivityState;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onAbort = (): void => settle(new Error('dial aborted'));
    if (signal?.aborted === true) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    const check = (): void => {
      if (settled) return;
      const state = channel.getConnectivityState(true);
      if (state === State.READY) {
        settle();
        return;
      }
      if (state === State.TRANSIENT_FAILURE || state === State.SHUTDOWN) {
        settle(new Error(`connection failed (${State[state]})`));
        return;
      }
      channel.watchConnectivityState(state, deadline, (err?: Error) => {
        if (err !== undefined) settle(new Error('failed to connect before the deadline'));
        else check();
      });
    };
    check();
  });
}
