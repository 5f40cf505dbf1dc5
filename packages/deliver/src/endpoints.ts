/**
 * Where a channel's orderers are (Fabric's `internal/pkg/peer/orderers` ConnectionSource): the
 * endpoints of the channel's current configuration, each with the TLS root certificates to dial
 * it with, after `peer.deliveryclient.addressOverrides`.
 *
 * When any orderer org lists `Endpoints`, only those are used, each with its own org's TLS roots
 * (the global `OrdererAddresses` are then ignored, with a warning); otherwise the global addresses
 * are used with the TLS roots of every orderer org. Each endpoint carries a `refreshed` signal,
 * aborted when a later configuration changes the endpoints, so that a deliver stream reconnects
 * (and spreads over the new set) as Fabric's does.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@fabric-peer/api';
import type { Channel } from '@fabric-peer/channel';
import type { ChannelConfigBundle, OrdererEndpoints } from '@fabric-peer/policies';
import { DeliverError } from './errors.js';

/** What an address in a channel config is replaced with (`peer.deliveryclient.addressOverrides`). */
export interface OrdererAddressOverride {
  /** The address to dial instead. */
  readonly address: string;
  /** The TLS roots for it (PEM); empty when the override names no `caCertsFile`. */
  readonly rootCerts: readonly Uint8Array[];
}

/** An orderer to dial: its address, its TLS roots, and whether the configuration moved on. */
export interface ConnectionEndpoint {
  readonly address: string;
  /** TLS root certificates (PEM or DER) the orderer's server certificate must chain to. */
  readonly rootCerts: readonly Uint8Array[];
  /** Aborted once a newer channel configuration replaced the endpoint set. */
  readonly refreshed: AbortSignal;
}

interface Entry {
  readonly endpoint: ConnectionEndpoint;
  readonly controller: AbortController;
}

function newEntry(address: string, rootCerts: readonly Uint8Array[]): Entry {
  const controller = new AbortController();
  return { endpoint: { address, rootCerts, refreshed: controller.signal }, controller };
}

/** The endpoints of one channel, updated from each new configuration. */
export class OrdererConnectionSource {
  #entries: Entry[] = [];
  #orgHashes = new Map<string, string>();

  constructor(
    private readonly overrides: ReadonlyMap<string, OrdererAddressOverride> = new Map(),
    private readonly logger?: Logger,
  ) {}

  /**
   * Takes the endpoints of a configuration. Returns true (and aborts the `refreshed` signal of
   * every endpoint handed out so far) when addresses or TLS roots changed.
   */
  update(endpoints: OrdererEndpoints): boolean {
    const newHashes = new Map<string, string>();
    let anyChange = false;
    let hasOrgEndpoints = false;
    for (const [name, org] of endpoints.orgs) {
      const hash = createHash('sha256');
      for (const cert of org.rootCerts) hash.update(cert);
      for (const address of org.addresses) {
        hasOrgEndpoints = true;
        hash.update(address);
      }
      const digest = hash.digest('hex');
      newHashes.set(name, digest);
      if (this.#orgHashes.get(name) !== digest) anyChange = true;
    }
    for (const name of this.#orgHashes.keys()) {
      if (!endpoints.orgs.has(name)) anyChange = true;
    }
    this.#orgHashes = newHashes;

    if (hasOrgEndpoints && endpoints.global.length > 0) {
      this.logger?.warn(
        'Config defines both orderer org specific endpoints and global endpoints, global endpoints will be ignored',
      );
    }
    if (!hasOrgEndpoints && !anyChange) {
      if (endpoints.global.length !== this.#entries.length) {
        anyChange = true;
      } else {
        const known = new Set(this.#entries.map((e) => e.endpoint.address));
        anyChange = endpoints.global.some((address) => !known.has(address));
      }
    }
    if (!anyChange) return false;

    // Consumers holding an old endpoint reconnect, even to an unchanged one: that spreads peers
    // over a grown set of orderers.
    for (const entry of this.#entries) entry.controller.abort();
    const entries: Entry[] = [];
    const globalRoots: Uint8Array[] = [];
    for (const org of endpoints.orgs.values()) {
      if (!hasOrgEndpoints) globalRoots.push(...org.rootCerts);
      for (const address of org.addresses) {
        entries.push(this.#entryFor(address, org.rootCerts));
      }
    }
    if (entries.length === 0) {
      for (const address of endpoints.global) entries.push(this.#entryFor(address, globalRoots));
    }
    this.#entries = entries;
    this.logger?.debug('orderer endpoints updated', {
      endpoints: entries.map((e) => e.endpoint.address),
      perOrg: hasOrgEndpoints,
    });
    return true;
  }

  #entryFor(address: string, rootCerts: readonly Uint8Array[]): Entry {
    const override = this.overrides.get(address);
    return override === undefined
      ? newEntry(address, rootCerts)
      : newEntry(override.address, override.rootCerts);
  }

  /** Every current endpoint. */
  endpoints(): readonly ConnectionEndpoint[] {
    return this.#entries.map((e) => e.endpoint);
  }

  /** One current endpoint, chosen at random; throws NO_ENDPOINTS when there is none. */
  randomEndpoint(): ConnectionEndpoint {
    if (this.#entries.length === 0) {
      throw new DeliverError('NO_ENDPOINTS', 'no endpoints currently defined');
    }
    return this.#entries[Math.floor(Math.random() * this.#entries.length)]!.endpoint;
  }
}

/** The current endpoints in a random order (Fabric's gateway tries orderers so). */
export function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * The connection source of each channel, kept in step with the channel's bundle: each lookup
 * compares the bundle in force with the one last seen and updates the source when it changed.
 */
export class ChannelOrderers {
  readonly #sources = new Map<
    string,
    { source: OrdererConnectionSource; bundle: ChannelConfigBundle }
  >();

  constructor(
    private readonly overrides: ReadonlyMap<string, OrdererAddressOverride> = new Map(),
    private readonly logger?: Logger,
  ) {}

  /** The channel's source, updated from its current bundle. */
  sourceFor(channel: Pick<Channel, 'id' | 'bundle'>): OrdererConnectionSource {
    const bundle = channel.bundle();
    const known = this.#sources.get(channel.id);
    if (known !== undefined) {
      if (known.bundle !== bundle) {
        known.bundle = bundle;
        if (known.source.update(bundle.ordererEndpoints)) {
          this.logger?.info('Ordering endpoints updated from a new channel configuration', {
            channel: channel.id,
            endpoints: known.source.endpoints().map((e) => e.address),
          });
        }
      }
      return known.source;
    }
    const source = new OrdererConnectionSource(this.overrides, this.logger);
    source.update(bundle.ordererEndpoints);
    this.#sources.set(channel.id, { source, bundle });
    return source;
  }

  /** Forgets a channel (delivery stopped for it). */
  forget(channelId: string): void {
    this.#sources.delete(channelId);
  }
}
