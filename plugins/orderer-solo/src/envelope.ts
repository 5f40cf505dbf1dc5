/**
 * Envelope helpers as Fabric's protoutil has them: reading the channel header of a broadcast
 * envelope, and making the orderer's own signed envelopes (the CONFIG transaction built from a
 * config update).
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import type { Signer } from '@fabric-peer/api';
import { Lru } from '@fabric-peer/msp';
import { common, msp } from '@fabric-peer/protos';
import { messageOf } from './errors.js';

const EMPTY = new Uint8Array(0);

/**
 * Fabric's protoutil.ChannelHeader: the envelope's payload, header and channel header, each
 * required. Throws an Error with Fabric's text.
 */
export function channelHeaderOf(envelope: common.Envelope): common.ChannelHeader {
  let payload: common.Payload;
  try {
    payload = common.Payload.decode(envelope.payload ?? EMPTY);
  } catch (err) {
    throw new Error(`error unmarshalling Payload: ${messageOf(err)}`, { cause: err });
  }
  if (payload.header === null || payload.header === undefined) throw new Error('header not set');
  const raw = payload.header.channelHeader;
  if (raw === null || raw === undefined || raw.length === 0) {
    throw new Error('channel header not set');
  }
  try {
    return common.ChannelHeader.decode(raw);
  } catch (err) {
    throw new Error(
      `error unmarshalling channel header: error unmarshalling ChannelHeader: ${messageOf(err)}`,
      { cause: err },
    );
  }
}

/**
 * Fabric's protoutil.CreateSignedEnvelope: a payload with a channel header (`type`, version 0,
 * the current time in whole seconds, epoch 0, no txid) and the signer's signature header (a fresh
 * 24-byte nonce), carrying `data`, signed by `signer`.
 */
export async function createSignedEnvelope(
  type: common.HeaderType,
  channelId: string,
  signer: Signer,
  data: Uint8Array,
): Promise<common.Envelope> {
  const channelHeader = common.ChannelHeader.encode({
    type,
    version: 0,
    timestamp: { seconds: Math.floor(Date.now() / 1000), nanos: 0 },
    channelId,
    epoch: 0,
  }).finish();
  const signatureHeader = common.SignatureHeader.encode({
    creator: signer.serialize(),
    nonce: randomBytes(24),
  }).finish();
  const payload = common.Payload.encode({
    header: { channelHeader, signatureHeader },
    data,
  }).finish();
  const signature = await signer.sign(payload);
  return common.Envelope.create({ payload, signature });
}

/** Creators whose expiry is known: parsing a certificate costs ≈ 130 µs and the answer never changes. */
const expiries = new Lru<string, Date | null>(1024);

/**
 * Fabric's crypto.ExpiresAt: the NotAfter of the X.509 certificate in a serialized identity, or
 * undefined when the bytes do not hold one (such identities never expire here, as in Fabric).
 */
export function identityExpiresAt(serialized: Uint8Array): Date | undefined {
  const key = Buffer.from(serialized.buffer, serialized.byteOffset, serialized.byteLength).toString(
    'latin1',
  );
  let known = expiries.get(key);
  if (known === undefined) {
    known = parseExpiry(serialized) ?? null;
    expiries.set(key, known);
  }
  return known ?? undefined;
}

function parseExpiry(serialized: Uint8Array): Date | undefined {
  try {
    const id = msp.SerializedIdentity.decode(serialized);
    const cert = new X509Certificate(Buffer.from(id.idBytes));
    const when = new Date(cert.validTo);
    return Number.isNaN(when.getTime()) ? undefined : when;
  } catch {
    return undefined;
  }
}

/**
 * Fabric's protoutil.IsConfigBlock: the block holds exactly one envelope, of type CONFIG or
 * ORDERER_TRANSACTION.
 */
export function isConfigBlock(block: common.IBlock): boolean {
  const data = block.data?.data ?? [];
  if (data.length !== 1) return false;
  try {
    const chdr = channelHeaderOf(common.Envelope.decode(data[0] as Uint8Array));
    return (
      chdr.type === (common.HeaderType.CONFIG as number) ||
      chdr.type === (common.HeaderType.ORDERER_TRANSACTION as number)
    );
  } catch {
    return false;
  }
}
