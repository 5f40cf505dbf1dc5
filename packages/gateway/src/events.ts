/**
 * Chaincode events in committed blocks (Fabric's gateway event package): the events of the valid
 * endorser transactions of a block, in transaction order.
 */
import { common, protos } from '@fabric-peer/protos';

const TX_VALID = protos.TxValidationCode.VALID as number;

/** Fabric's validChaincodeEvent: an event needs a chaincode id, a name and a transaction id. */
function validEvent(event: protos.ChaincodeEvent): boolean {
  return event.chaincodeId.length > 0 && event.eventName.length > 0 && event.txId.length > 0;
}

/** The events one transaction's actions set, skipping parts that do not decode (as Fabric). */
function transactionEvents(payload: common.Payload): protos.ChaincodeEvent[] {
  const tx = protos.Transaction.decode(payload.data);
  const events: protos.ChaincodeEvent[] = [];
  for (const action of tx.actions) {
    try {
      const cap = protos.ChaincodeActionPayload.decode(action.payload ?? new Uint8Array(0));
      const prp = protos.ProposalResponsePayload.decode(
        cap.action?.proposalResponsePayload ?? new Uint8Array(0),
      );
      const ccAction = protos.ChaincodeAction.decode(prp.extension);
      const event = protos.ChaincodeEvent.decode(ccAction.events);
      if (validEvent(event)) events.push(event);
    } catch {
      continue;
    }
  }
  return events;
}

/** One endorser transaction of a block and the chaincode events it set. */
export interface BlockTransaction {
  readonly txId: string;
  readonly valid: boolean;
  readonly events: readonly protos.ChaincodeEvent[];
}

/**
 * The endorser transactions of a committed block with their chaincode events (none for an invalid
 * one, by the block's TRANSACTIONS_FILTER). Fabric stops the whole stream when an envelope of the
 * block does not decode; such a transaction was never valid, so it is skipped here instead.
 */
export function blockTransactions(block: common.Block): BlockTransaction[] {
  const filter = block.metadata?.metadata?.[common.BlockMetadataIndex.TRANSACTIONS_FILTER];
  const results: BlockTransaction[] = [];
  const data = block.data?.data ?? [];
  for (let i = 0; i < data.length; i++) {
    let payload: common.Payload;
    let header: common.ChannelHeader;
    try {
      const envelope = common.Envelope.decode(data[i] ?? new Uint8Array(0));
      payload = common.Payload.decode(envelope.payload);
      header = common.ChannelHeader.decode(payload.header?.channelHeader ?? new Uint8Array(0));
    } catch {
      continue;
    }
    if (header.type !== (common.HeaderType.ENDORSER_TRANSACTION as number)) continue;
    const valid = filter !== undefined && i < filter.length && filter[i] === TX_VALID;
    let events: protos.ChaincodeEvent[] = [];
    if (valid) {
      try {
        events = transactionEvents(payload);
      } catch {
        events = [];
      }
    }
    results.push({ txId: header.txId, valid, events });
  }
  return results;
}

/**
 * Fabric's chaincodeEventMatcher over a block's transactions: the events of `chaincodeId`; with
 * `afterTxId`, only those of transactions after that one (the matcher keeps state across blocks).
 * Fabric passes the point at the first *event* of that transaction, so a transaction that set no
 * event would hold back every later one; here the transaction itself marks the point.
 */
export function chaincodeEventMatcher(
  chaincodeId: string,
  afterTxId: string,
): (tx: BlockTransaction) => protos.ChaincodeEvent[] {
  let passed = afterTxId.length === 0;
  return (tx) => {
    if (!passed) {
      if (tx.txId === afterTxId) passed = true;
      return [];
    }
    return tx.events.filter((e) => e.chaincodeId === chaincodeId);
  };
}
