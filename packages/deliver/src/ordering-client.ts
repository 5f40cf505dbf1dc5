/**
 * The peer's client of the ordering service (`OrderingClient` of @fabric-peer/api), over the
 * endpoints of each channel's current configuration.
 *
 * - `broadcast` tries the endpoints in random order (as Fabric's gateway Submit): a connection
 *   failure, a broken stream, a timeout or a 5xx status moves on to the next endpoint; SUCCESS and
 *   4xx statuses (the client's fault, retrying elsewhere would not help) are returned as they are.
 *   Each endpoint keeps one Broadcast stream open and reuses it: the orderer answers the envelopes
 *   of a stream one by one, in order, so responses are matched to requests first in, first out.
 * - `deliver` connects to the first endpoint (in random order) that answers within
 *   `connTimeout`, sends the seek envelope and streams the responses.
 */
import { createHash } from 'node:crypto';
import type { Logger, OrderingClient } from '@fabric-peer/api';
import type { ChannelRegistry } from '@fabric-peer/channel';
import { common, type orderer } from '@fabric-peer/protos';
import { deliverResponses } from './deliver-stream.js';
import type { AtomicBroadcastClient } from './dialer.js';
import { OrdererDialer } from './dialer.js';
import { ChannelOrderers, shuffled, type ConnectionEndpoint } from './endpoints.js';
import { DeliverError, messageOf } from './errors.js';
import { DEFAULT_DELIVERY_SETTINGS, type DeliveryClientSettings } from './settings.js';

/** What the ordering client is built with. */
export interface OrderingClientOptions {
  /** The joined channels; each call uses the orderer endpoints of the channel's current config. */
  readonly channels: Pick<ChannelRegistry, 'get'>;
  /** TLS, timeouts, keepalive, address overrides; default Fabric's defaults without TLS. */
  readonly settings?: DeliveryClientSettings;
  /** Connection sources to share with the delivery client; default its own. */
  readonly orderers?: ChannelOrderers;
  /** How long one orderer may take to answer one envelope; default 30 s. */
  readonly broadcastTimeoutMs?: number;
  readonly logger?: Logger;
}

/** The ordering client, with what the peer needs beyond the extension point. */
export interface OrderingClientHandle extends OrderingClient {
  broadcast(
    channelId: string,
    envelope: common.Envelope.$Properties,
  ): Promise<orderer.BroadcastResponse>;
  /** The orderer addresses of a channel now (after overrides). */
  endpoints(channelId: string): readonly string[];
  /** Ends every open stream and connection; later calls fail with CLOSED. */
  close(): Promise<void>;
}

const DEFAULT_BROADCAST_TIMEOUT_MS = 30_000;

interface Pending {
  readonly resolve: (response: orderer.BroadcastResponse) => void;
  readonly reject: (err: Error) => void;
}

/** One open Broadcast stream to one orderer. */
class BroadcastStream {
  readonly #pending: Pending[] = [];
  #closed = false;
  readonly #call: ReturnType<AtomicBroadcastClient['broadcast']>;

  constructor(
    readonly address: string,
    private readonly client: AtomicBroadcastClient,
    private readonly onClosed: (stream: BroadcastStream) => void,
  ) {
    this.#call = client.broadcast();
    this.#call.on('data', (response: orderer.BroadcastResponse) => {
      const pending = this.#pending.shift();
      if (pending === undefined) {
        this.#fail(
          new DeliverError(
            'ORDERER_STREAM_FAILED',
            `orderer '${address}' sent a broadcast response nothing was waiting for`,
          ),
        );
        return;
      }
      pending.resolve(response);
    });
    this.#call.on('error', (err: unknown) =>
      this.#fail(
        new DeliverError(
          'ORDERER_STREAM_FAILED',
          `broadcast stream to '${address}' failed: ${messageOf(err)}`,
          { cause: err, details: { address } },
        ),
      ),
    );
    this.#call.on('end', () =>
      this.#fail(
        new DeliverError(
          'ORDERER_STREAM_FAILED',
          `orderer '${address}' closed the broadcast stream`,
          { details: { address } },
        ),
      ),
    );
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(
    envelope: common.Envelope.$Properties,
    timeoutMs: number,
  ): Promise<orderer.BroadcastResponse> {
    if (this.#closed) {
      return Promise.reject(
        new DeliverError(
          'ORDERER_STREAM_FAILED',
          `broadcast stream to '${this.address}' is closed`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      // A response that does not come leaves the stream in an unknown state: it is dropped, and
      // with it every envelope still waiting on it.
      const timer = setTimeout(
        () =>
          this.#fail(
            new DeliverError(
              'BROADCAST_TIMEOUT',
              `orderer '${this.address}' did not answer within ${timeoutMs} ms`,
              { details: { address: this.address } },
            ),
          ),
        timeoutMs,
      );
      this.#pending.push({
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#call.write(envelope);
    });
  }

  #fail(err: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of this.#pending.splice(0)) pending.reject(err);
    this.#call.cancel();
    this.client.close();
    this.onClosed(this);
  }

  close(): void {
    this.#fail(new DeliverError('CLOSED', 'the ordering client is closed'));
  }
}

function endpointKey(endpoint: Pick<ConnectionEndpoint, 'address' | 'rootCerts'>): string {
  const hash = createHash('sha256');
  for (const cert of endpoint.rootCerts) hash.update(cert);
  return `${endpoint.address}|${hash.digest('hex')}`;
}

function isClientError(status: number): boolean {
  return status >= 400 && status < 500;
}

class OrderingClientImpl implements OrderingClientHandle {
  readonly #orderers: ChannelOrderers;
  readonly #dialer: OrdererDialer;
  readonly #timeoutMs: number;
  readonly #streams = new Map<string, Promise<BroadcastStream>>();
  readonly #live = new Set<BroadcastStream>();
  readonly #deliveries = new Set<AbortController>();
  #closed = false;

  constructor(private readonly options: OrderingClientOptions) {
    const settings = options.settings ?? DEFAULT_DELIVERY_SETTINGS;
    this.#orderers =
      options.orderers ?? new ChannelOrderers(settings.addressOverrides, options.logger);
    this.#dialer = new OrdererDialer(settings);
    this.#timeoutMs = options.broadcastTimeoutMs ?? DEFAULT_BROADCAST_TIMEOUT_MS;
  }

  #endpoints(channelId: string): readonly ConnectionEndpoint[] {
    if (this.#closed) throw new DeliverError('CLOSED', 'the ordering client is closed');
    const channel = this.options.channels.get(channelId);
    if (channel === undefined) {
      throw new DeliverError('CHANNEL_NOT_FOUND', `channel ${channelId} not found`, {
        details: { channel: channelId },
      });
    }
    const endpoints = this.#orderers.sourceFor(channel).endpoints();
    if (endpoints.length === 0) {
      throw new DeliverError(
        'NO_ENDPOINTS',
        `no orderer endpoints are defined for channel ${channelId}`,
        { details: { channel: channelId } },
      );
    }
    return endpoints;
  }

  endpoints(channelId: string): readonly string[] {
    return this.#endpoints(channelId).map((e) => e.address);
  }

  async broadcast(
    channelId: string,
    envelope: common.Envelope.$Properties,
  ): Promise<orderer.BroadcastResponse> {
    const failures: string[] = [];
    let lastResponse: orderer.BroadcastResponse | undefined;
    for (const endpoint of shuffled(this.#endpoints(channelId))) {
      let response: orderer.BroadcastResponse;
      try {
        response = await this.#sendTo(endpoint, envelope);
      } catch (err) {
        if (this.#closed) throw new DeliverError('CLOSED', 'the ordering client is closed');
        failures.push(`${endpoint.address}: ${messageOf(err)}`);
        this.options.logger?.warn('Error sending transaction to orderer', {
          channel: channelId,
          endpoint: endpoint.address,
          error: messageOf(err),
        });
        continue;
      }
      const status = response.status;
      if (status === common.Status.SUCCESS || isClientError(status)) return response;
      this.options.logger?.warn('Unsuccessful response sending transaction to orderer', {
        channel: channelId,
        endpoint: endpoint.address,
        status: common.Status[status] ?? status,
        info: response.info,
      });
      failures.push(
        `${endpoint.address}: status ${common.Status[status] ?? status} ${response.info}`,
      );
      lastResponse = response;
    }
    if (lastResponse !== undefined) return lastResponse;
    throw new DeliverError(
      'BROADCAST_FAILED',
      `no orderers could successfully process transaction: ${failures.join('; ')}`,
      { details: { channel: channelId, failures } },
    );
  }

  /**
   * Sends over the endpoint's stream. A stream opened earlier may have broken without its error
   * arriving yet (the orderer restarted): then the envelope is sent once more, on a new stream.
   */
  async #sendTo(
    endpoint: ConnectionEndpoint,
    envelope: common.Envelope.$Properties,
  ): Promise<orderer.BroadcastResponse> {
    const { stream, reused } = await this.#stream(endpoint);
    try {
      return await stream.send(envelope, this.#timeoutMs);
    } catch (err) {
      const broken = err instanceof DeliverError && err.code === 'ORDERER_STREAM_FAILED';
      if (!reused || !broken || this.#closed) throw err;
      this.options.logger?.debug('broadcast stream broke, sending on a new one', {
        endpoint: endpoint.address,
        error: messageOf(err),
      });
      const fresh = await this.#stream(endpoint);
      return fresh.stream.send(envelope, this.#timeoutMs);
    }
  }

  /**
   * The open stream of an endpoint (`reused`), or a new one, opened once however many callers
   * wait for it. A failed dial fails every caller that waited for it.
   */
  async #stream(
    endpoint: ConnectionEndpoint,
  ): Promise<{ stream: BroadcastStream; reused: boolean }> {
    const key = endpointKey(endpoint);
    const existing = this.#streams.get(key);
    if (existing !== undefined) {
      const stream = await existing;
      if (!stream.closed) return { stream, reused: true };
      if (this.#streams.get(key) === existing) this.#streams.delete(key);
      const newer = this.#streams.get(key);
      if (newer !== undefined) return { stream: await newer, reused: false };
    }
    return { stream: await this.#openStream(key, endpoint), reused: false };
  }

  #openStream(key: string, endpoint: ConnectionEndpoint): Promise<BroadcastStream> {
    const made = (async () => {
      const client = await this.#dialer.dial(endpoint.address, endpoint.rootCerts);
      const stream = new BroadcastStream(endpoint.address, client, (closed) => {
        this.#live.delete(closed);
        if (this.#streams.get(key) === made) this.#streams.delete(key);
      });
      if (this.#closed) {
        stream.close();
      } else {
        this.#live.add(stream);
      }
      return stream;
    })();
    this.#streams.set(key, made);
    made.catch(() => {
      if (this.#streams.get(key) === made) this.#streams.delete(key);
    });
    return made;
  }

  async *deliver(
    channelId: string,
    seekEnvelope: common.Envelope.$Properties,
    signal?: AbortSignal,
  ): AsyncGenerator<orderer.DeliverResponse, void, undefined> {
    const endpoints = shuffled(this.#endpoints(channelId));
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted === true) controller.abort();
    this.#deliveries.add(controller);
    let client: AtomicBroadcastClient | undefined;
    try {
      const failures: string[] = [];
      let address = '';
      for (const endpoint of endpoints) {
        if (controller.signal.aborted) return;
        try {
          client = await this.#dialer.dial(endpoint.address, endpoint.rootCerts, controller.signal);
          address = endpoint.address;
          break;
        } catch (err) {
          failures.push(messageOf(err));
          this.options.logger?.warn('Could not connect to ordering service', {
            channel: channelId,
            endpoint: endpoint.address,
            error: messageOf(err),
          });
        }
      }
      if (controller.signal.aborted) return;
      if (client === undefined) {
        throw new DeliverError(
          'ORDERER_UNREACHABLE',
          `could not connect to any orderer of channel ${channelId}: ${failures.join('; ')}`,
          { details: { channel: channelId, failures } },
        );
      }
      yield* deliverResponses(client, address, seekEnvelope, controller.signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#deliveries.delete(controller);
      client?.close();
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    for (const stream of [...this.#live]) stream.close();
    for (const controller of this.#deliveries) controller.abort();
    this.#streams.clear();
    return Promise.resolve();
  }
}

/** Builds the peer's ordering client. */
export function createOrderingClient(options: OrderingClientOptions): OrderingClientHandle {
  return new OrderingClientImpl(options);
}
