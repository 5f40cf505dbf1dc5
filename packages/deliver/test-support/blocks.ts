/**
 * Transactions and configuration changes for the tests of block delivery: endorser transactions
 * carrying a chaincode event, CONFIG transactions carrying a modified channel configuration, and
 * a poll helper.
 */
import { randomBytes } from 'node:crypto';
import { common, protos, timestampFromMillis } from '@fabric-peer/protos';

export interface EventTxOptions {
  readonly channelId: string;
  readonly txId?: string;
  readonly chaincode?: string;
  /** The chaincode event; none when absent. */
  readonly event?: { readonly name: string; readonly payload: Uint8Array };
  /** The action's read-write set (TxReadWriteSet bytes); default empty. */
  readonly results?: Uint8Array;
}

/** A fresh transaction id (64 hex digits). */
export function randomTxId(): string {
  return randomBytes(32).toString('hex');
}

/** An unsigned endorser transaction envelope whose action carries `event`. */
export function endorserTxWithEvent(options: EventTxOptions): Uint8Array {
  const txId = options.txId ?? randomTxId();
  const chaincode = options.chaincode ?? 'basic';
  const events =
    options.event === undefined
      ? new Uint8Array(0)
      : protos.ChaincodeEvent.encode({
          chaincodeId: chaincode,
          txId,
          eventName: options.event.name,
          payload: options.event.payload,
        }).finish();
  const action = protos.ChaincodeAction.encode({
    results: options.results ?? new Uint8Array(0),
    events,
    response: { status: 200 },
    chaincodeId: { name: chaincode, version: '1.0' },
  }).finish();
  const prp = protos.ProposalResponsePayload.encode({
    proposalHash: new Uint8Array(32),
    extension: action,
  }).finish();
  const cap = protos.ChaincodeActionPayload.encode({
    chaincodeProposalPayload: new Uint8Array(0),
    action: { proposalResponsePayload: prp, endorsements: [] },
  }).finish();
  const tx = protos.Transaction.encode({
    actions: [{ header: Uint8Array.of(1), payload: cap }],
  }).finish();
  const payload = common.Payload.encode({
    header: {
      channelHeader: common.ChannelHeader.encode({
        type: common.HeaderType.ENDORSER_TRANSACTION,
        channelId: options.channelId,
        txId,
        timestamp: timestampFromMillis(Date.now()),
      }).finish(),
      signatureHeader: Uint8Array.of(1),
    },
    data: tx,
  }).finish();
  return common.Envelope.encode({ payload, signature: Uint8Array.of(1) }).finish();
}

/** The channel configuration of a genesis block, decoded (to be modified). */
export function genesisConfig(genesis: Uint8Array): common.Config {
  const block = common.Block.decode(genesis);
  const envelope = common.Envelope.decode(block.data?.data?.[0] ?? new Uint8Array(0));
  const payload = common.Payload.decode(envelope.payload);
  const configEnvelope = common.ConfigEnvelope.decode(payload.data);
  if (!configEnvelope.config) throw new Error('the genesis block holds no config');
  return configEnvelope.config as common.Config;
}

/** A CONFIG envelope carrying `config`. */
export function configTxOf(config: common.Config, channelId: string): Uint8Array {
  const data = common.ConfigEnvelope.encode({ config }).finish();
  const payload = common.Payload.encode({
    header: {
      channelHeader: common.ChannelHeader.encode({
        type: common.HeaderType.CONFIG,
        channelId,
        timestamp: timestampFromMillis(Date.now()),
      }).finish(),
      signatureHeader: Uint8Array.of(1),
    },
    data,
  }).finish();
  return common.Envelope.encode({ payload, signature: Uint8Array.of(1) }).finish();
}

/** Resolves once `condition` holds; rejects after `timeoutMs` naming `what`. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
