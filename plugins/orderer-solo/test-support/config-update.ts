/**
 * Config updates as `configtxlator compute_update` and `peer channel update` make them: a
 * ConfigUpdate whose read set pins the current versions and whose write set bumps one orderer
 * value, signed by the organisations its mod policy needs, in a CONFIG_UPDATE envelope.
 */
import { randomBytes } from 'node:crypto';
import type { ChannelConfigBundle } from '@fabric-peer/policies';
import { common, Long, orderer } from '@fabric-peer/protos';
import { signedEnvelope, type TestSigner } from './client.js';

function version(v: Long | number | null | undefined): Long {
  return Long.fromValue(v ?? 0).toUnsigned();
}

/**
 * A ConfigUpdate that sets `/Channel/Orderer/<key>` to `value` (its version + 1), based on the
 * config of `bundle`.
 */
export function ordererValueUpdate(
  bundle: ChannelConfigBundle,
  key: string,
  value: Uint8Array,
): Uint8Array {
  const root = bundle.config.channelGroup;
  const ordererGroup = root?.groups?.Orderer;
  const current = ordererGroup?.values?.[key];
  if (root === null || root === undefined || ordererGroup === undefined || !current) {
    throw new Error(`the config has no /Channel/Orderer/${key}`);
  }
  const rootVersion = version(root.version);
  const ordererVersion = version(ordererGroup.version);
  return common.ConfigUpdate.encode({
    channelId: bundle.channelId,
    readSet: { version: rootVersion, groups: { Orderer: { version: ordererVersion } } },
    writeSet: {
      version: rootVersion,
      groups: {
        Orderer: {
          version: ordererVersion,
          values: {
            [key]: {
              version: version(current.version).add(1),
              modPolicy: current.modPolicy,
              value,
            },
          },
        },
      },
    },
  }).finish();
}

/** A BatchSize update. */
export function batchSizeUpdate(
  bundle: ChannelConfigBundle,
  batchSize: orderer.BatchSize.$Properties,
): Uint8Array {
  return ordererValueUpdate(bundle, 'BatchSize', orderer.BatchSize.encode(batchSize).finish());
}

/**
 * The CONFIG_UPDATE envelope of `configUpdate`, carrying a signature of each of `signers`, sent
 * by `submitter`.
 */
export async function configUpdateEnvelope(
  channelId: string,
  configUpdate: Uint8Array,
  signers: readonly TestSigner[],
  submitter: TestSigner,
): Promise<common.Envelope> {
  const signatures = await Promise.all(
    signers.map(async (signer) => {
      const signatureHeader = common.SignatureHeader.encode({
        creator: signer.serialize(),
        nonce: randomBytes(24),
      }).finish();
      const signature = await signer.sign(Buffer.concat([signatureHeader, configUpdate]));
      return { signatureHeader, signature };
    }),
  );
  return signedEnvelope(submitter, channelId, {
    type: common.HeaderType.CONFIG_UPDATE,
    data: common.ConfigUpdateEnvelope.encode({ configUpdate, signatures }).finish(),
  });
}
