/**
 * Builders of config updates for tests: a ConfigUpdate signed by fake identities, wrapped into the
 * CONFIG envelope and config block that carry it, as configtxlator + peer channel update + the
 * orderer would produce them.
 */
import { randomBytes } from 'node:crypto';

import { Long, common, protos } from '@fabric-peer/protos';

import type { FakeIdentity } from './fakes.js';

/** A deep copy of a config group (through its encoding). */
export function cloneGroup(group: common.ConfigGroup.$Properties): common.ConfigGroup {
  return common.ConfigGroup.decode(common.ConfigGroup.encode(group).finish());
}

/** A uint64 for message fields. */
export function v(n: number): Long {
  return Long.fromNumber(n, true);
}

/** A config group with the given members (all optional). */
export function group(props: {
  version?: number;
  modPolicy?: string;
  groups?: Record<string, common.ConfigGroup>;
  values?: Record<string, common.ConfigValue.$Properties>;
  policies?: Record<string, common.ConfigPolicy.$Properties>;
}): common.ConfigGroup {
  return common.ConfigGroup.create({
    version: v(props.version ?? 0),
    modPolicy: props.modPolicy ?? '',
    groups: props.groups ?? {},
    values: Object.fromEntries(
      Object.entries(props.values ?? {}).map(([k, val]) => [k, common.ConfigValue.create(val)]),
    ),
    policies: Object.fromEntries(
      Object.entries(props.policies ?? {}).map(([k, p]) => [k, common.ConfigPolicy.create(p)]),
    ),
  });
}

/** Signs `update` by each signer as `peer channel signconfigtx` does. */
export function signUpdate(
  update: common.ConfigUpdate.$Properties,
  signers: readonly FakeIdentity[],
  options: { badSignatureBy?: readonly FakeIdentity[] } = {},
): common.ConfigUpdateEnvelope {
  const updateBytes = common.ConfigUpdate.encode(update).finish();
  return common.ConfigUpdateEnvelope.create({
    configUpdate: updateBytes,
    signatures: signers.map((signer) => {
      const signatureHeader = common.SignatureHeader.encode({
        creator: signer.serialize(),
        nonce: randomBytes(24),
      }).finish();
      const signature = signer.sign(Buffer.concat([signatureHeader, updateBytes]));
      if (options.badSignatureBy?.includes(signer)) signature[0] = (signature[0] ?? 0) ^ 0xff;
      return { signatureHeader, signature };
    }),
  });
}

/** The CONFIG_UPDATE envelope carrying `updateEnvelope`. */
export function updateTransaction(
  channelId: string,
  updateEnvelope: common.ConfigUpdateEnvelope,
  type: number = common.HeaderType.CONFIG_UPDATE,
): common.Envelope {
  const payload = common.Payload.encode({
    header: {
      channelHeader: common.ChannelHeader.encode({ type, channelId }).finish(),
      signatureHeader: common.SignatureHeader.encode({ nonce: randomBytes(24) }).finish(),
    },
    data: common.ConfigUpdateEnvelope.encode(updateEnvelope).finish(),
  }).finish();
  return common.Envelope.create({ payload, signature: randomBytes(8) });
}

/** The `ConfigEnvelope` of a CONFIG transaction. */
export function configEnvelope(
  sequence: number,
  channelGroup: common.ConfigGroup,
  lastUpdate: common.Envelope | null,
): common.ConfigEnvelope {
  return common.ConfigEnvelope.create({
    config: { sequence: v(sequence), channelGroup },
    lastUpdate,
  });
}

/** A config block holding one CONFIG envelope. */
export function configBlock(
  number: number,
  channelId: string,
  envelope: common.ConfigEnvelope,
  type: number = common.HeaderType.CONFIG,
): common.Block {
  const payload = common.Payload.encode({
    header: {
      channelHeader: common.ChannelHeader.encode({ type, channelId }).finish(),
      signatureHeader: common.SignatureHeader.encode({ nonce: randomBytes(24) }).finish(),
    },
    data: common.ConfigEnvelope.encode(envelope).finish(),
  }).finish();
  const env = common.Envelope.encode({ payload, signature: randomBytes(8) }).finish();
  return common.Block.create({
    header: { number: v(number) },
    data: { data: [env] },
    metadata: { metadata: [] },
  });
}

/** A signed proposal whose creator is `creator`, signed by it (or badly signed). */
export function signedProposal(
  creator: FakeIdentity,
  channelId: string,
  options: { badSignature?: boolean } = {},
): { proposalBytes: Uint8Array; signature: Uint8Array } {
  const header = common.Header.encode({
    channelHeader: common.ChannelHeader.encode({
      type: common.HeaderType.ENDORSER_TRANSACTION,
      channelId,
    }).finish(),
    signatureHeader: common.SignatureHeader.encode({
      creator: creator.serialize(),
      nonce: randomBytes(24),
    }).finish(),
  }).finish();
  const proposalBytes = protos.Proposal.encode({ header, payload: randomBytes(16) }).finish();
  const signature = creator.sign(proposalBytes);
  if (options.badSignature === true) signature[0] = (signature[0] ?? 0) ^ 0xff;
  return { proposalBytes, signature };
}

/** An envelope whose payload's creator is `creator`, signed by it. */
export function signedEnvelope(creator: FakeIdentity, channelId: string): common.Envelope {
  const payload = common.Payload.encode({
    header: {
      channelHeader: common.ChannelHeader.encode({
        type: common.HeaderType.DELIVER_SEEK_INFO,
        channelId,
      }).finish(),
      signatureHeader: common.SignatureHeader.encode({
        creator: creator.serialize(),
        nonce: randomBytes(24),
      }).finish(),
    },
    data: randomBytes(8),
  }).finish();
  return common.Envelope.create({ payload, signature: creator.sign(payload) });
}
