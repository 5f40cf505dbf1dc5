/**
 * Signed `DELIVER_SEEK_INFO` envelopes as Fabric's protoutil.CreateSignedEnvelopeWithTLSBinding
 * makes them: channel header (type, version 0, timestamp in whole seconds, channel, epoch 0, the
 * TLS certificate hash under mutual TLS), signature header (creator, 24-byte nonce), the SeekInfo
 * as payload data, signed by the peer's local signer.
 */
import { randomBytes } from 'node:crypto';
import type { Signer } from '@fabric-peer/api';
import { Long, common, orderer } from '@fabric-peer/protos';

/** Fabric's seek for a peer's block puller: from `height` on, forever, waiting for new blocks. */
export function seekFromHeight(height: number | bigint): orderer.SeekInfo.$Properties {
  return {
    start: { specified: { number: Long.fromString(BigInt(height).toString(), true) } },
    stop: { specified: { number: Long.MAX_UNSIGNED_VALUE } },
    behavior: orderer.SeekInfo.SeekBehavior.BLOCK_UNTIL_READY,
  };
}

export interface SeekEnvelopeOptions {
  readonly channelId: string;
  readonly signer: Signer;
  readonly seekInfo: orderer.SeekInfo.$Properties;
  /** Under mutual TLS: SHA-256 of the client TLS certificate's DER. */
  readonly tlsCertHash?: Uint8Array;
  /** Default: now. */
  readonly nowMs?: number;
}

/** A signed seek envelope. */
export async function signedSeekEnvelope(options: SeekEnvelopeOptions): Promise<common.Envelope> {
  const seconds = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const channelHeader = common.ChannelHeader.encode({
    type: common.HeaderType.DELIVER_SEEK_INFO,
    version: 0,
    timestamp: { seconds: Long.fromNumber(seconds), nanos: 0 },
    channelId: options.channelId,
    epoch: Long.UZERO,
    ...(options.tlsCertHash !== undefined && options.tlsCertHash.length > 0
      ? { tlsCertHash: options.tlsCertHash }
      : {}),
  }).finish();
  const signatureHeader = common.SignatureHeader.encode({
    creator: options.signer.serialize(),
    nonce: randomBytes(24),
  }).finish();
  const payload = common.Payload.encode({
    header: { channelHeader, signatureHeader },
    data: orderer.SeekInfo.encode(options.seekInfo).finish(),
  }).finish();
  const signature = await options.signer.sign(payload);
  return common.Envelope.create({ payload, signature });
}
