/**
 * A config update as `configtxlator compute_update` + `peer channel signconfigtx` + the orderer make
 * it: here, a new `ACLs` value in `/Channel/Application` (mod_policy Admins), signed by the given
 * identities, wrapped in the CONFIG transaction (signed by the orderer) that carries the resulting
 * configuration at the next sequence.
 */
import { randomBytes } from 'node:crypto';
import type { ChannelConfigBundle } from '@fabric-peer/policies';
import { Long, common, protos } from '@fabric-peer/protos';

import type { TestSigner } from './chain.js';

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

function u64(n: number | Long | null | undefined): number {
  if (n === null || n === undefined) return 0;
  return typeof n === 'number' ? n : n.toNumber();
}

/** The CONFIG envelope setting `/Channel/Application` ACL `resource` to `policyRef`. */
export async function aclUpdateTx(options: {
  readonly bundle: ChannelConfigBundle;
  readonly resource: string;
  readonly policyRef: string;
  readonly signers: readonly TestSigner[];
  readonly orderer: TestSigner;
}): Promise<Uint8Array> {
  const { bundle } = options;
  const current = common.Config.decode(common.Config.encode(bundle.config).finish());
  const app = current.channelGroup!.groups!['Application']!;
  const values = (app.values ??= {});
  const old = values['ACLs'];
  const acls = protos.ACLs.decode(old?.value ?? new Uint8Array(0));
  acls.acls[options.resource] = protos.APIResource.create({ policyRef: options.policyRef });
  const value = protos.ACLs.encode(acls).finish();
  const version = Long.fromNumber(u64(old?.version) + 1, true);
  const modPolicy = old?.modPolicy || 'Admins';

  const update = common.ConfigUpdate.encode({
    channelId: bundle.channelId,
    readSet: { groups: { Application: { version: app.version } } },
    writeSet: {
      groups: {
        Application: { version: app.version, values: { ACLs: { version, modPolicy, value } } },
      },
    },
  }).finish();
  const signatures = await Promise.all(
    options.signers.map(async (s) => {
      const signatureHeader = common.SignatureHeader.encode({
        creator: s.serialize(),
        nonce: randomBytes(24),
      }).finish();
      return { signatureHeader, signature: await s.sign(concat(signatureHeader, update)) };
    }),
  );
  const updatePayload = common.Payload.encode({
    header: {
      channelHeader: common.ChannelHeader.encode({
        type: common.HeaderType.CONFIG_UPDATE,
        channelId: bundle.channelId,
      }).finish(),
      signatureHeader: common.SignatureHeader.encode({ nonce: randomBytes(24) }).finish(),
    },
    data: common.ConfigUpdateEnvelope.encode({ configUpdate: update, signatures }).finish(),
  }).finish();

  values['ACLs'] = common.ConfigValue.create({ version, modPolicy, value });
  const next = common.ConfigEnvelope.encode({
    config: {
      sequence: Long.fromNumber(u64(current.sequence) + 1, true),
      channelGroup: current.channelGroup,
    },
    lastUpdate: { payload: updatePayload, signature: randomBytes(8) },
  }).finish();
  const payload = common.Payload.encode({
    header: {
      channelHeader: common.ChannelHeader.encode({
        type: common.HeaderType.CONFIG,
        channelId: bundle.channelId,
        timestamp: { seconds: Math.floor(Date.now() / 1000) },
      }).finish(),
      signatureHeader: common.SignatureHeader.encode({
        creator: options.orderer.serialize(),
        nonce: randomBytes(24),
      }).finish(),
    },
    data: next,
  }).finish();
  return common.Envelope.encode({
    payload,
    signature: await options.orderer.sign(payload),
  }).finish();
}
