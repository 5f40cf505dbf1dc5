/**
 * System chaincodes in process: the in-memory stream through the ordinary handler, against a real
 * ledger, and the definitions source that answers system chaincodes itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChaincodeResponse, SystemChaincode, SystemChaincodeStub } from '@fabric-peer/api';
import { createHash } from 'node:crypto';
import { kvrwset } from '@fabric-peer/protos';
import { ChainBuilder, endorserTx } from '@fabric-peer/testkit';
import { createChaincodeDefinitions } from '../src/definitions.js';
import { ChaincodeError } from '../src/errors.js';
import { MapDefinitions, TestPeer, payloadText } from '../test-support/harness.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

/** A system chaincode using every stub call. */
class TestScc implements SystemChaincode {
  readonly name = 'testscc';
  init(): Promise<ChaincodeResponse> {
    return Promise.resolve({ status: 200 });
  }
  async invoke(stub: SystemChaincodeStub): Promise<ChaincodeResponse> {
    const [fn, ...args] = stub.getArgs().map(text);
    switch (fn) {
      case 'fill': {
        // Concurrent calls of one transaction: the stub must serialize them.
        await Promise.all(
          Array.from({ length: Number(args[0]) }, (_, i) =>
            stub.putState(`s${String(i).padStart(4, '0')}`, Buffer.from(String(i))),
          ),
        );
        return { status: 200 };
      }
      case 'count': {
        const all = await stub.getStateByRange('s', 't');
        return {
          status: 200,
          payload: Buffer.from(`${all.length} ${all[0]?.key} ${all.at(-1)?.key}`),
        };
      }
      case 'get':
        return { status: 200, payload: await stub.getState(args[0] ?? '') };
      case 'del':
        await stub.deleteState(args[0] ?? '');
        return { status: 200 };
      case 'who':
        return {
          status: 200,
          payload: Buffer.from(
            `${stub.getChannelId()} ${stub.getTxId()} ${stub.getCreator().length > 0} ${stub.getSignedProposal() !== undefined}`,
          ),
        };
      case 'event':
        stub.setEvent?.('upgrade', Buffer.from(args[0] ?? ''));
        return { status: 200 };
      case 'pput':
        await stub.putPrivateData!(args[0] ?? '', args[1] ?? '', Buffer.from(args[2] ?? ''));
        await stub.putState('pub', Buffer.from('public'));
        return { status: 200 };
      case 'pget':
        return { status: 200, payload: await stub.getPrivateData!(args[0] ?? '', args[1] ?? '') };
      case 'phash':
        return {
          status: 200,
          payload: Buffer.from(
            Buffer.from(await stub.getPrivateDataHash!(args[0] ?? '', args[1] ?? '')).toString(
              'hex',
            ),
          ),
        };
      case 'pdel':
        await stub.deletePrivateData!(args[0] ?? '', args[1] ?? '');
        return { status: 200 };
      case 'qe': {
        const qe = stub.getTxQueryExecutor!();
        const value =
          qe === undefined ? undefined : await qe.getState(args[0] ?? '', args[1] ?? '');
        return {
          status: 200,
          payload: Buffer.from(`${qe !== undefined} ${text(value ?? new Uint8Array(0))}`),
        };
      }
      case 'throw':
        throw new Error('scc broke');
      default:
        return { status: 500, message: `unknown function ${fn}` };
    }
  }
}

describe('system chaincode runtime', () => {
  let peer: TestPeer;
  const names = new Set<string>();

  before(async () => {
    const legacy = new MapDefinitions();
    peer = await TestPeer.start({
      support: {
        definitions: createChaincodeDefinitions({ systemChaincodes: names, legacy }),
      },
    });
    await peer.support.deploySystemChaincode(new TestScc());
    names.add('testscc');
  });

  after(async () => {
    await peer.close();
  });

  it('registers as <name>.syscc and runs over the in-memory stream', async () => {
    assert.equal(peer.support.isSystemChaincode('testscc'), true);
    const out = await peer.invoke('testscc', ['who']);
    const [channel, txId, hasCreator, hasProposal] = payloadText(out).split(' ');
    assert.deepEqual(
      [channel, txId, hasCreator, hasProposal],
      ['mychannel', out.txId, 'true', 'true'],
    );
    await assert.rejects(
      peer.support.deploySystemChaincode(new TestScc()),
      /already been launched/,
    );
  });

  it('writes through the simulator and reads ranges over 100 results', async () => {
    const fill = await peer.invokeAndCommit('testscc', ['fill', '150']);
    const set = (await fill.results()).publicRwsetProto.nsRwset.find(
      (n) => n.namespace === 'testscc',
    );
    assert.equal(kvrwset.KVRWSet.decode(set!.rwset!).writes.length, 150);
    assert.equal(payloadText(await peer.invoke('testscc', ['count'])), '150 s0000 s0149');
    assert.equal(payloadText(await peer.invoke('testscc', ['get', 's0007'])), '7');
    const del = await peer.invoke('testscc', ['del', 's0007']);
    const w = kvrwset.KVRWSet.decode(
      (await del.results()).publicRwsetProto.nsRwset.find((n) => n.namespace === 'testscc')!.rwset!,
    ).writes[0];
    assert.equal(w?.isDelete, true);
  });

  it('returns the event a system chaincode sets', async () => {
    const out = await peer.invoke('testscc', ['event', 'mycc']);
    assert.equal(out.result.event?.eventName, 'upgrade');
    assert.equal(text(out.result.event.payload), 'mycc');
    assert.equal(out.result.event?.chaincodeId, 'testscc');
  });

  it('serves private data calls and reads other namespaces through the transaction', async () => {
    const put = await peer.invoke('testscc', ['pput', 'coll', 'pk', 'secret']);
    const rw = await put.results();
    assert.ok(rw.privateRwset, 'the private write is in the private read-write set');
    const ledger = peer.tc.channels.get('mychannel')!.ledger;
    const last = await ledger.getBlockByNumber(Number(ledger.getBlockchainInfo().height) - 1);
    await ledger.commit(
      ChainBuilder.after(last!).block([
        endorserTx(rw.publicRwset, {
          txId: put.txId,
          channelId: 'mychannel',
          chaincode: 'testscc',
        }),
      ]),
      { pvtData: new Map([[0, rw.privateRwset]]) },
    );
    assert.equal(payloadText(await peer.invoke('testscc', ['pget', 'coll', 'pk'])), 'secret');
    assert.equal(payloadText(await peer.invoke('testscc', ['pget', 'coll', 'none'])), '');
    assert.equal(
      payloadText(await peer.invoke('testscc', ['phash', 'coll', 'pk'])),
      createHash('sha256').update('secret').digest('hex'),
    );

    const del = await peer.invoke('testscc', ['pdel', 'coll', 'pk']);
    const ns = (await del.results()).publicRwsetProto.nsRwset.find(
      (n) => n.namespace === 'testscc',
    );
    assert.equal(ns?.collectionHashedRwset?.[0]?.collectionName, 'coll');

    // Another namespace's state, read within the transaction: the read is in its read set.
    const qe = await peer.invoke('testscc', ['qe', 'testscc', 'pub']);
    assert.equal(payloadText(qe), 'true public');
    const reads = (await qe.results()).publicRwsetProto.nsRwset.find(
      (n) => n.namespace === 'testscc',
    );
    assert.deepEqual(
      kvrwset.KVRWSet.decode(reads!.rwset!).reads.map((r) => r.key),
      ['pub'],
    );
  });

  it('turns a throwing system chaincode into a chaincode failure', async () => {
    await assert.rejects(peer.invoke('testscc', ['throw']), (err: unknown) => {
      assert.ok(err instanceof ChaincodeError);
      assert.equal(err.code, 'CHAINCODE_FAILED');
      assert.equal(err.message, 'transaction returned with failure: scc broke');
      return true;
    });
  });

  it('answers the definition of a system chaincode itself', async () => {
    const defs = createChaincodeDefinitions({
      systemChaincodes: names,
      legacy: new MapDefinitions(),
    });
    assert.deepEqual(await defs.endorsementInfo('mychannel', 'testscc', undefined), {
      version: 'syscc',
      enforceInit: false,
      endorsementPlugin: 'escc',
      chaincodeId: 'testscc.syscc',
    });
    const lifecycle = new MapDefinitions().define('both', 'both:new');
    const legacy = new MapDefinitions().define('both', 'both:old').define('old', 'old:1');
    const chained = createChaincodeDefinitions({ systemChaincodes: names, legacy, lifecycle });
    assert.equal((await chained.endorsementInfo('c', 'both', undefined)).chaincodeId, 'both:new');
    assert.equal((await chained.endorsementInfo('c', 'old', undefined)).chaincodeId, 'old:1');
    await assert.rejects(
      chained.endorsementInfo('c', 'none', undefined),
      /chaincode none not found/,
    );
    // A lifecycle source that defines nothing on a channel is not asked there at all.
    const asked: string[] = [];
    const v14 = Object.assign(new MapDefinitions().define('both', 'both:new'), {
      definesOn: (channelId: string) => (asked.push(channelId), channelId !== 'legacy-only'),
    });
    const skipping = createChaincodeDefinitions({
      systemChaincodes: names,
      legacy,
      lifecycle: v14,
    });
    assert.equal(
      (await skipping.endorsementInfo('legacy-only', 'both', undefined)).chaincodeId,
      'both:old',
    );
    assert.equal((await skipping.endorsementInfo('c', 'both', undefined)).chaincodeId, 'both:new');
    assert.deepEqual(asked, ['legacy-only', 'c']);
  });
});
