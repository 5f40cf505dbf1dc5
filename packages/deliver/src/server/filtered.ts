/**
 * Filtered blocks (Fabric's `core/peer/deliverevents.go` toFilteredBlock): per transaction its id,
 * header type and validation code; for endorser transactions the chaincode events of its actions
 * without their payload.
 */
import { common, protos } from '@fabric-peer/protos';
import { messageOf } from '../errors.js';

const EMPTY = new Uint8Array(0);

/** A block that cannot be turned into a filtered block (as Fabric, one malformed transaction). */
export class FilteredBlockError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'FilteredBlockError';
  }
}

function decodeOr<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    throw new FilteredBlockError(`${what}: ${messageOf(err)}`, { cause: err });
  }
}

function filteredActions(tx: protos.Transaction): protos.FilteredTransactionActions.$Properties {
  const chaincodeActions: protos.FilteredChaincodeAction.$Properties[] = [];
  for (const action of tx.actions) {
    const cap = decodeOr('error unmarshal transaction action payload for block event', () =>
      protos.ChaincodeActionPayload.decode(action.payload ?? EMPTY),
    );
    // Fabric skips an action without its endorsed action.
    if (cap.action === null || cap.action === undefined) continue;
    const prp = decodeOr('error unmarshal proposal response payload for block event', () =>
      protos.ProposalResponsePayload.decode(cap.action?.proposalResponsePayload ?? EMPTY),
    );
    const cca = decodeOr('error unmarshal chaincode action for block event', () =>
      protos.ChaincodeAction.decode(prp.extension ?? EMPTY),
    );
    const event = decodeOr('error unmarshal chaincode event for block event', () =>
      protos.ChaincodeEvent.decode(cca.events ?? EMPTY),
    );
    if (event.chaincodeId === '') continue;
    chaincodeActions.push({
      chaincodeEvent: {
        txId: event.txId,
        chaincodeId: event.chaincodeId,
        eventName: event.eventName,
      },
    });
  }
  return { chaincodeActions };
}

/**
 * The filtered block of a committed block. Envelopes that do not decode, or have no header, are
 * left out (as Fabric); a payload, channel header or endorser transaction that does not decode
 * makes the whole block fail with a {@link FilteredBlockError}, as in Fabric.
 */
export function toFilteredBlock(block: common.IBlock): protos.FilteredBlock.$Properties {
  const filter = block.metadata?.metadata?.[common.BlockMetadataIndex.TRANSACTIONS_FILTER] ?? EMPTY;
  const filtered: protos.FilteredBlock.$Properties = {
    channelId: '',
    number: block.header?.number ?? 0,
    filteredTransactions: [],
  };
  const txs: protos.FilteredTransaction.$Properties[] = [];
  const data = block.data?.data ?? [];
  for (let i = 0; i < data.length; i++) {
    let envelope: common.Envelope;
    try {
      envelope = common.Envelope.decode(data[i] ?? EMPTY);
    } catch {
      continue;
    }
    const payload = decodeOr('could not extract payload from envelope', () =>
      common.Payload.decode(envelope.payload ?? EMPTY),
    );
    if (payload.header === null || payload.header === undefined) continue;
    const chdr = decodeOr('error unmarshalling channel header', () =>
      common.ChannelHeader.decode(payload.header?.channelHeader ?? EMPTY),
    );
    filtered.channelId = chdr.channelId;
    const tx: protos.FilteredTransaction.$Properties = {
      txid: chdr.txId,
      type: chdr.type,
      // A block without its filter has not been validated by this peer.
      txValidationCode: filter[i] ?? protos.TxValidationCode.NOT_VALIDATED,
    };
    if (chdr.type === (common.HeaderType.ENDORSER_TRANSACTION as number)) {
      const transaction = decodeOr('error unmarshal transaction payload for block event', () =>
        protos.Transaction.decode(payload.data ?? EMPTY),
      );
      tx.transactionActions = filteredActions(transaction);
    }
    txs.push(tx);
  }
  filtered.filteredTransactions = txs;
  return filtered;
}
