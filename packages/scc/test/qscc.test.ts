import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { blockHeaderHash, common, protos } from '@fabric-peer/protos';
import { rwsetBytes } from '@fabric-peer/testkit';
import { Qscc } from '../src/index.js';
import { openSccEnv, type SccEnv } from '../test-support/env.js';
import { invoke } from '../test-support/stub.js';

const dec = new TextDecoder();

describe('qscc', () => {
  let env: SccEnv;
  let qscc: Qscc;
  const txId = 'a'.repeat(64);

  before(async () => {
    env = await openSccEnv();
    qscc = new Qscc({ channels: env.tc.channels, acl: env.acl });
    await env.commit(txId, rwsetBytes({ namespace: 'basic' }));
  });
  after(() => env.close());

  const call = (
    args: (string | Uint8Array)[],
    options: { signer?: 'user' | 'stranger'; chaincode?: string } = {},
  ) =>
    invoke(
      qscc,
      env.tc.channels,
      {
        signer: options.signer === 'stranger' ? env.stranger : env.net.identities.user,
        channelId: env.net.channelId,
        args,
        ...(options.chaincode !== undefined ? { chaincode: options.chaincode } : {}),
      },
      { simulate: false },
    );

  it('GetChainInfo', async () => {
    const res = await call(['GetChainInfo', 'mychannel']);
    assert.equal(res.response.status, 200, res.response.message);
    const info = common.BlockchainInfo.decode(res.response.payload!);
    assert.equal(Number(info.height), 2);
    const block1 = await env.tc.channels.get('mychannel')!.ledger.getBlockByNumber(1);
    assert.deepEqual(
      Buffer.from(info.currentBlockHash),
      Buffer.from(blockHeaderHash(block1!.header!)),
    );
  });

  it('GetBlockByNumber, including MaxUint64 for the last block', async () => {
    const genesis = common.Block.decode(
      (await call(['GetBlockByNumber', 'mychannel', '0'])).response.payload!,
    );
    assert.equal(Number(genesis.header?.number), 0);
    // The stored genesis block: the original's header and data (its metadata gains the filter).
    const original = common.Block.decode(env.net.genesis);
    assert.deepEqual(genesis.data?.data, original.data?.data);
    assert.deepEqual(genesis.header, original.header);
    const last = common.Block.decode(
      (await call(['GetBlockByNumber', 'mychannel', '18446744073709551615'])).response.payload!,
    );
    assert.equal(Number(last.header?.number), 1);
  });

  it('GetBlockByHash, GetTransactionByID and GetBlockByTxID', async () => {
    const ledger = env.tc.channels.get('mychannel')!.ledger;
    const block1 = (await ledger.getBlockByNumber(1))!;
    const byHash = await call(['GetBlockByHash', 'mychannel', blockHeaderHash(block1.header!)]);
    assert.equal(Number(common.Block.decode(byHash.response.payload!).header?.number), 1);
    const tx = protos.ProcessedTransaction.decode(
      (await call(['GetTransactionByID', 'mychannel', txId])).response.payload!,
    );
    assert.equal(tx.validationCode, protos.TxValidationCode.VALID);
    assert.deepEqual(
      Buffer.from(common.Envelope.encode(tx.transactionEnvelope!).finish()),
      Buffer.from(block1.data!.data![0]!),
    );
    const byTx = await call(['GetBlockByTxID', 'mychannel', txId]);
    assert.equal(Number(common.Block.decode(byTx.response.payload!).header?.number), 1);
  });

  const failures: [
    string,
    (string | Uint8Array)[],
    RegExp,
    { signer?: 'stranger'; chaincode?: string }?,
  ][] = [
    ['too few arguments', ['GetChainInfo'], /^Incorrect number of arguments, 1$/],
    [
      'a missing third argument',
      ['GetBlockByNumber', 'mychannel'],
      /^missing 3rd argument for GetBlockByNumber$/,
    ],
    ['an unknown channel', ['GetChainInfo', 'nochannel'], /^Invalid chain ID, nochannel$/],
    [
      'a block number that does not parse',
      ['GetBlockByNumber', 'mychannel', 'abc'],
      /^Failed to parse block number with error strconv\.ParseUint: parsing "abc": invalid syntax$/,
    ],
    [
      'a block number out of range',
      ['GetBlockByNumber', 'mychannel', '18446744073709551616'],
      /value out of range$/,
    ],
    [
      'a block not there',
      ['GetBlockByNumber', 'mychannel', '99'],
      /^Failed to get block number 99, error no such block number \[99\] in index$/,
    ],
    [
      'an unknown block hash',
      ['GetBlockByHash', 'mychannel', 'xyz'],
      /^Failed to get block hash xyz, error no such block hash \[78797a\] in index$/,
    ],
    [
      'an unknown txid',
      ['GetTransactionByID', 'mychannel', 'nope'],
      /^Failed to get transaction with id nope, error no such transaction ID \[nope\] in index$/,
    ],
    [
      'an unknown txid for a block',
      ['GetBlockByTxID', 'mychannel', 'nope'],
      /^Failed to get block for txID nope, error no such transaction ID \[nope\] in index$/,
    ],
    [
      'an unknown function',
      ['Nope', 'mychannel', 'x'],
      /^access denied for \[Nope\]\[mychannel\]: \[Unmapped policy for qscc\/Nope\]$/,
    ],
    [
      'a creator the channel does not know',
      ['GetChainInfo', 'mychannel'],
      /^access denied for \[GetChainInfo\]\[mychannel\]: \[/,
      { signer: 'stranger' },
    ],
    [
      'an invocation through another chaincode',
      ['GetChainInfo', 'mychannel'],
      /^Rejecting invoke of QSCC from another chaincode because of potential for deadlocks, original invocation for 'basic'$/,
      { chaincode: 'basic' },
    ],
  ];
  for (const [name, args, message, options] of failures) {
    it(`refuses ${name}`, async () => {
      const res = await call(args, options ?? {});
      assert.equal(res.response.status, 500);
      assert.match(res.response.message ?? '', message);
      assert.equal(dec.decode(res.response.payload ?? new Uint8Array()), '');
    });
  }
});
