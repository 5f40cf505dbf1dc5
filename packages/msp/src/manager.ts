/**
 * Fabric's MSPManager: the MSPs of a channel by id. Deserialization dispatches on the
 * SerializedIdentity's mspid.
 */
import { IdentityError, type IdentityDeserializer } from '@fabric-peer/api';
import { msp as mspProto } from '@fabric-peer/protos';
import type { X509Identity } from './identity.js';
import { BytesLru } from './lru.js';
import type { Msp } from './msp.js';

/** The MSPs of a channel. */
export interface MspManager extends IdentityDeserializer {
  /** The MSPs by id. */
  readonly msps: ReadonlyMap<string, Msp>;
  get(mspId: string): Msp | undefined;
  /**
   * The identity in `serialized`, deserialized by the MSP its mspid names. Throws an
   * IdentityError: MALFORMED, UNKNOWN_MSP (no such MSP on the channel), or what that MSP throws.
   */
  deserializeIdentity(serialized: Uint8Array): X509Identity;
  /** Fabric's IsWellFormed: some MSP type of the channel recognizes the identity. */
  isWellFormed(identity: mspProto.SerializedIdentity.$Properties): void;
}

/** Options of {@link createMspManager}. */
export interface MspManagerOptions {
  /** Serialized identity → identity (or error) entries kept; default 4096, 0 disables. */
  readonly cacheSize?: number;
}

/** A manager over the given MSPs (a later MSP with the same id replaces an earlier one). */
export function createMspManager(msps: Iterable<Msp>, options: MspManagerOptions = {}): MspManager {
  const byId = new Map<string, Msp>();
  for (const m of msps) byId.set(m.id, m);
  const cache = new BytesLru<{ identity: X509Identity } | { error: IdentityError }>(
    options.cacheSize ?? 4096,
  );

  const resolve = (serialized: Uint8Array): X509Identity => {
    let sid: mspProto.SerializedIdentity;
    try {
      sid = mspProto.SerializedIdentity.decode(serialized);
    } catch (err) {
      throw new IdentityError(
        'MALFORMED',
        `could not deserialize a SerializedIdentity: ${(err as Error).message}`,
        { cause: err, details: { reason: 'not-a-serialized-identity' } },
      );
    }
    const m = byId.get(sid.mspid);
    if (m === undefined) {
      throw new IdentityError('UNKNOWN_MSP', `MSP ${sid.mspid} is not defined on channel`, {
        details: { mspId: sid.mspid, known: [...byId.keys()], reason: 'unknown-msp' },
      });
    }
    return m.deserializeIdentity(serialized);
  };

  return {
    msps: byId,
    get: (mspId) => byId.get(mspId),
    deserializeIdentity(serialized: Uint8Array): X509Identity {
      const cached = cache.get(serialized);
      if (cached !== undefined) {
        if ('error' in cached) throw cached.error;
        return cached.identity;
      }
      try {
        const identity = resolve(serialized);
        cache.set(serialized, { identity });
        return identity;
      } catch (err) {
        if (err instanceof IdentityError) cache.set(serialized, { error: err });
        throw err;
      }
    },
    isWellFormed(identity: mspProto.SerializedIdentity.$Properties): void {
      const first = byId.values().next();
      if (first.done === true) {
        throw new IdentityError('MALFORMED', 'no MSP provider recognizes the identity', {
          details: { reason: 'no-msp' },
        });
      }
      try {
        first.value.isWellFormed(identity);
      } catch (err) {
        throw new IdentityError(
          'MALFORMED',
          `no MSP provider recognizes the identity: ${(err as Error).message}`,
          { cause: err, details: { mspId: identity.mspid ?? '', reason: 'not-well-formed' } },
        );
      }
    },
  };
}
