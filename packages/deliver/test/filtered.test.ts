import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { common, protos } from '@fabric-peer/protos';
import { ChainBuilder } from '@fabric-peer/testkit';
import { FilteredBlockError, toFilteredBlock } from '../src/server/filtered.js';
import { configTxOf, endorserTxWithEvent, genesisConfig } from '../test-support/index.js';

const V = protos.TxValidationCode;

function envelopeWithPayload(payload: Uint8Array): Uint8Array {
  return common.Envelope.encode({ payload, signature: Uint8Array.of(1) }).finish();
}

describe('filtered blocks', () => {
  it('keeps txid, type, validation code and events without payload', () => {
    const chain = new ChainBuilder();
    chain.block([]);
    const withEvent = endorserTxWithEvent({
      channelId: 'ch',
      txId: 'tx-event',
      chaincode: 'asset',
      event: { name: 'Created', payload: new TextEncoder().encode('secret') },
    });
    const withoutEvent = endorserTxWithEvent({ channelId: 'ch', txId: 'tx-plain' });
    const block = chain.block(
      [withEvent, withoutEvent],
      Uint8Array.of(V.VALID, V.MVCC_READ_CONFLICT),
    );
    const filtered = toFilteredBlock(block);
    assert.equal(filtered.channelId, 'ch');
    assert.equal(Number(filtered.number), 1);
    assert.deepEqual(filtered.filteredTransactions, [
      {
        txid: 'tx-event',
        type: common.HeaderType.ENDORSER_TRANSACTION,
        txValidationCode: V.VALID,
        transactionActions: {
          chaincodeActions: [
            { chaincodeEvent: { txId: 'tx-event', chaincodeId: 'asset', eventName: 'Created' } },
          ],
        },
      },
      {
        txid: 'tx-plain',
        type: common.HeaderType.ENDORSER_TRANSACTION,
        txValidationCode: V.MVCC_READ_CONFLICT,
        transactionActions: { chaincodeActions: [] },
      },
    ]);
    // The wire form carries no event payload.
    const wire = protos.FilteredBlock.decode(protos.FilteredBlock.encode(filtered).finish());
    const event =
      wire.filteredTransactions[0]?.transactionActions?.chaincodeActions?.[0]?.chaincodeEvent;
    assert.equal(event?.eventName, 'Created');
    assert.equal(event?.payload?.length ?? 0, 0);
  });

  it('gives config transactions no actions', () => {
    const genesis = new ChainBuilder().block([
      configTxOf(common.Config.create({ sequence: 0 }), 'ch'),
    ]);
    const filtered = toFilteredBlock(genesis);
    assert.equal(filtered.filteredTransactions?.length, 1);
    const tx = filtered.filteredTransactions?.[0];
    assert.ok(tx !== undefined);
    assert.equal(tx.type, common.HeaderType.CONFIG);
    assert.equal(tx.transactionActions, undefined);
    // No TRANSACTIONS_FILTER: not validated here.
    const bare = common.Block.create({ header: genesis.header, data: genesis.data });
    assert.equal(toFilteredBlock(bare).filteredTransactions![0]!.txValidationCode, V.NOT_VALIDATED);
  });

  it('skips envelopes that do not decode or have no header, as Fabric', () => {
    const noHeader = envelopeWithPayload(
      common.Payload.encode({ data: Uint8Array.of(1) }).finish(),
    );
    const block = new ChainBuilder().block([
      Uint8Array.of(0xff, 0xff),
      noHeader,
      endorserTxWithEvent({ channelId: 'ch', txId: 'ok' }),
    ]);
    const filtered = toFilteredBlock(block);
    assert.deepEqual(
      filtered.filteredTransactions!.map((t) => t.txid),
      ['ok'],
    );
    assert.equal(filtered.filteredTransactions![0]!.txValidationCode, V.VALID);
  });

  it('fails the block on a malformed payload or endorser transaction, as Fabric', () => {
    const badPayload = envelopeWithPayload(Uint8Array.of(0x0a, 0x05, 0x01));
    assert.throws(
      () => toFilteredBlock(new ChainBuilder().block([badPayload])),
      (err: unknown) =>
        err instanceof FilteredBlockError &&
        err.message.startsWith('could not extract payload from envelope'),
    );
    const badTx = envelopeWithPayload(
      common.Payload.encode({
        header: {
          channelHeader: common.ChannelHeader.encode({
            type: common.HeaderType.ENDORSER_TRANSACTION,
            txId: 't',
            channelId: 'ch',
          }).finish(),
        },
        data: Uint8Array.of(0x0a, 0x09, 0x01),
      }).finish(),
    );
    assert.throws(
      () => toFilteredBlock(new ChainBuilder().block([badTx])),
      /error unmarshal transaction payload for block event/,
    );
  });

  it('reads the genesis configuration helper back', () => {
    // A sanity check of the test helper the service tests build config updates with.
    const config = common.Config.create({ sequence: 3, channelGroup: { version: 1 } });
    const block = new ChainBuilder().block([configTxOf(config, 'ch')]);
    const read = genesisConfig(common.Block.encode(block).finish());
    assert.equal(Number(read.sequence), 3);
  });
});
