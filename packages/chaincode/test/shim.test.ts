/**
 * The handler against the real fabric-shim: a low-level chaincode and a contract run as child
 * processes, connected to ChaincodeSupportImpl over a real gRPC server, with a real ledger.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { kvrwset, type rwset } from '@fabric-peer/protos';
import { TestPeer, payloadText, type InvokeOutcome } from '../test-support/harness.js';
import { testPackage } from '../test-support/process-vm.js';
import { INITIALIZED_KEY } from '../src/support.js';
import type { ChaincodeError } from '../src/errors.js';

const KV = 'kv:0001';
const KVB = 'kvb:0001';

function nsWrites(out: InvokeOutcome, rw: rwset.TxReadWriteSet, ns: string): kvrwset.KVRWSet {
  void out;
  const set = rw.nsRwset.find((n) => n.namespace === ns);
  assert.ok(set, `namespace ${ns} in the read-write set`);
  return kvrwset.KVRWSet.decode(set.rwset!);
}

function json<T>(out: InvokeOutcome): T {
  assert.equal(out.result.response.status, 200, out.result.response.message);

  return JSON.parse(payloadText(out)) as T;
}

describe('real fabric-shim chaincode', () => {
  let peer: TestPeer;

  before(async () => {
    peer = await TestPeer.start({
      network: { applicationCapabilities: ['V2_5'] },
      otherChannel: true,
    });
    peer.installed.add(testPackage(KV, 'test-shim', { script: 'kv/index.js' }));
    peer.installed.add(testPackage(KVB, 'test-shim', { script: 'kv/index.js' }));
    peer.installed.add(testPackage('asset:1', 'test-contract', { module: 'contract' }));
    peer.installed.add(testPackage('init:1', 'test-shim', { script: 'kv/index.js' }));
    peer.definitions.define('kv', KV).define('kvb', KVB).define('asset', 'asset:1');
    peer.definitions.define('initcc', 'init:1', { enforceInit: true, version: '2.0' });
  });

  after(async () => {
    await peer.close();
  });

  it('GET_STATE and PUT_STATE land in the read-write set of the simulator', async () => {
    const out = await peer.invoke('kv', ['getput', 'k1', 'v1']);
    assert.equal(out.result.response.status, 200);
    const kv = nsWrites(out, (await out.results()).publicRwsetProto, 'kv');
    assert.deepEqual(
      kv.reads.map((r) => r.key),
      ['k1'],
    );
    assert.deepEqual(
      kv.writes.map((w) => [w.key, Buffer.from(w.value!).toString()]),
      [['k1', 'v1']],
    );
  });

  it('reads committed state and deletes it (DEL_STATE)', async () => {
    await peer.invokeAndCommit('kv', ['put', 'a', 'alpha']);
    assert.equal(payloadText(await peer.invoke('kv', ['get', 'a'])), 'alpha');
    assert.equal(payloadText(await peer.invoke('kv', ['get', 'missing'])), '');
    const del = await peer.invoke('kv', ['del', 'a']);
    const w = nsWrites(del, (await del.results()).publicRwsetProto, 'kv').writes[0];
    assert.equal(w?.key, 'a');
    assert.equal(w?.isDelete, true);
  });

  it('serves ranges over 100 results in batches continued by QUERY_STATE_NEXT', async () => {
    await peer.invokeAndCommit('kv', ['putMany', 'r', '250']);
    const all = json<{ key: string }[]>(await peer.invoke('kv', ['range', 'r', 's']));
    assert.equal(all.length, 250);
    assert.equal(all[0]?.key, 'r0000');
    assert.equal(all[249]?.key, 'r0249');
    assert.deepEqual(
      all.map((r) => r.key),
      [...all.map((r) => r.key)].sort(),
    );
  });

  it('closes a range early (QUERY_STATE_CLOSE)', async () => {
    const out = await peer.invoke('kv', ['rangeEarlyClose', 'r', 's']);
    assert.equal(payloadText(out), 'r0000');
  });

  it('paginates ranges with QueryMetadata: count and bookmark', async () => {
    const page1 = json<{
      keys: string[];
      metadata: { fetchedRecordsCount: number; bookmark: string };
    }>(await peer.invoke('kv', ['rangePage', 'r', 's', '30', '']));
    assert.equal(page1.keys.length, 30);
    assert.equal(page1.metadata.fetchedRecordsCount, 30);
    assert.equal(page1.metadata.bookmark, 'r0030');
    const page2 = json<{
      keys: string[];
      metadata: { fetchedRecordsCount: number; bookmark: string };
    }>(await peer.invoke('kv', ['rangePage', 'r', 's', '30', page1.metadata.bookmark]));
    assert.equal(page2.keys[0], 'r0030');
    assert.equal(page2.keys.length, 30);
  });

  it('answers GET_QUERY_RESULT with ERROR when the state database has no rich queries', async () => {
    const out = await peer.invoke('kv', ['query', '{"selector":{}}']);
    assert.equal(out.result.response.status, 500);
    assert.match(out.result.response.message, /GET_QUERY_RESULT failed: transaction ID: \w+: /);
    assert.match(out.result.response.message, /not supported/);
  });

  it('returns the history of a key (GET_HISTORY_FOR_KEY), newest first', async () => {
    const first = await peer.invokeAndCommit('kv', ['put', 'h', 'one']);
    const second = await peer.invokeAndCommit('kv', ['put', 'h', 'two']);
    const history = json<{ txId: string; value: string; isDelete: boolean }[]>(
      await peer.invoke('kv', ['history', 'h']),
    );
    assert.deepEqual(history, [
      { txId: second.txId, value: 'two', isDelete: false },
      { txId: first.txId, value: 'one', isDelete: false },
    ]);
  });

  it('writes and reads key metadata (PUT_STATE_METADATA, GET_STATE_METADATA)', async () => {
    await peer.invokeAndCommit('kv', ['put', 'm', 'x']);
    const set = await peer.invoke('kv', ['setEP', 'm', 'policy-bytes']);
    assert.equal(set.result.response.status, 200, set.result.response.message);
    const kv = nsWrites(set, (await set.results()).publicRwsetProto, 'kv');
    assert.equal(kv.metadataWrites[0]?.key, 'm');
    assert.equal(kv.metadataWrites[0]?.entries?.[0]?.name, 'VALIDATION_PARAMETER');
    await peer.invokeAndCommit('kv', ['setEP', 'm', 'policy-bytes']);
    assert.equal(payloadText(await peer.invoke('kv', ['getEP', 'm'])), 'policy-bytes');
  });

  it('writes private data, reads its hash and purges it (V2_5)', async () => {
    const put = await peer.invoke('kv', ['putPrivate', 'coll', 'p', 'secret']);
    assert.equal(put.result.response.status, 200, put.result.response.message);
    const rw = await put.results();
    assert.ok(rw.privateRwsetProto, 'a private read-write set');
    const hashed = rw.publicRwsetProto.nsRwset.find(
      (n) => n.namespace === 'kv',
    )?.collectionHashedRwset;
    assert.equal(hashed?.[0]?.collectionName, 'coll');
    const hash = await peer.invoke('kv', ['getPrivateHash', 'coll', 'p']);
    assert.equal(hash.result.response.status, 200, hash.result.response.message);
    assert.equal(payloadText(hash), '');
    const get = await peer.invoke('kv', ['getPrivate', 'coll', 'p']);
    assert.equal(get.result.response.status, 200, get.result.response.message);
    const purge = await peer.invoke('kv', ['purgePrivate', 'coll', 'p']);
    assert.equal(purge.result.response.status, 200, purge.result.response.message);
    const hashedPurge = kvrwset.HashedRWSet.decode(
      (await purge.results()).publicRwsetProto.nsRwset.find((n) => n.namespace === 'kv')!
        .collectionHashedRwset![0]!.hashedRwset!,
    );
    assert.deepEqual(
      Buffer.from(hashedPurge.hashedWrites[0]!.keyHash!),
      createHash('sha256').update('p').digest(),
    );
    assert.equal(hashedPurge.hashedWrites[0]?.isPurge, true);
  });

  it('returns the chaincode event with chaincode id and txid', async () => {
    const out = await peer.invoke('kv', ['event', 'ping', 'pong']);
    assert.equal(out.result.event?.eventName, 'ping');
    assert.equal(Buffer.from(out.result.event.payload).toString(), 'pong');
    assert.equal(out.result.event?.chaincodeId, 'kv');
    assert.equal(out.result.event?.txId, out.txId);
  });

  it('passes a chaincode error response through (status 500)', async () => {
    const out = await peer.invoke('kv', ['fail', 'no way']);
    assert.equal(out.result.response.status, 500);
    assert.equal(out.result.response.message, 'no way');
  });

  it('calls another chaincode on the same channel with the same simulator', async () => {
    const out = await peer.invoke('kv', ['invoke', 'kvb', '', 'put', 'x', 'from-kv']);
    const answer = json<{ status: number }>(out);
    assert.equal(answer.status, 200);
    const rw = (await out.results()).publicRwsetProto;
    const kvb = nsWrites(out, rw, 'kvb');
    assert.deepEqual(
      kvb.writes.map((w) => [w.key, Buffer.from(w.value!).toString()]),
      [['x', 'from-kv']],
    );
  });

  it('calls a chaincode on another channel with a simulator whose writes are discarded', async () => {
    await peer.invokeAndCommit('kvb', ['put', 'where', 'otherchannel'], {
      channelId: 'otherchannel',
    });
    const out = await peer.invoke('kv', ['invoke', 'kvb', 'otherchannel', 'get', 'where']);
    const answer = json<{ status: number; payload: string }>(out);
    assert.deepEqual([answer.status, answer.payload], [200, 'otherchannel']);
    const write = await peer.invoke('kv', ['invoke', 'kvb', 'otherchannel', 'put', 'y', 'lost']);
    assert.equal(json<{ status: number }>(write).status, 200);
    const rw = (await write.results()).publicRwsetProto;
    assert.equal(
      rw.nsRwset.find((n) => n.namespace === 'kvb'),
      undefined,
      'no kvb writes in the caller rwset',
    );
  });

  it('answers INVOKE_CHAINCODE with ERROR when the callee is not defined', async () => {
    const out = await peer.invoke('kv', ['invoke', 'nobody', '', 'get', 'x']);
    assert.equal(out.result.response.status, 500);
    assert.match(
      out.result.response.message,
      /INVOKE_CHAINCODE failed: .*execute failed: .*nobody/,
    );
  });

  it('sends INIT once, writes the initialized key, then allows transactions', async () => {
    await assert.rejects(peer.invoke('initcc', ['get', 'x']), (err: ChaincodeError) => {
      assert.equal(err.code, 'INVALID_INVOCATION');
      assert.match(
        err.message,
        /chaincode 'initcc' has not been initialized for this version, must call as init first/,
      );
      return true;
    });
    await assert.rejects(
      peer.invoke('kv', ['get', 'x'], { isInit: true }),
      /does not require initialization but called as init/,
    );
    const init = await peer.invokeAndCommit('initcc', ['init', 'ik', 'iv'], { isInit: true });
    assert.equal(payloadText(init), 'init done');
    const kv = nsWrites(init, (await init.results()).publicRwsetProto, 'initcc');
    assert.deepEqual(
      kv.writes.map((w) => [w.key, Buffer.from(w.value!).toString()]).sort(),
      [
        [INITIALIZED_KEY, '2.0'],
        ['ik', 'iv'],
      ].sort(),
    );
    await assert.rejects(
      peer.invoke('initcc', ['init'], { isInit: true }),
      /is already initialized but called as init/,
    );
    assert.equal(payloadText(await peer.invoke('initcc', ['get', 'ik'])), 'iv');
  });

  it('runs many transactions at once on one stream', async () => {
    const startsBefore = peer.vm.counters.starts;
    const outs = await Promise.all(
      Array.from({ length: 64 }, (_, i) => peer.invoke('kv', ['getput', `c${i}`, `v${i}`])),
    );
    for (const [i, out] of outs.entries()) {
      const kv = nsWrites(out, (await out.results()).publicRwsetProto, 'kv');
      assert.equal(kv.writes[0]?.key, `c${i}`);
    }
    assert.equal(peer.vm.counters.starts, startsBefore, 'no new chaincode process');
  });

  it('runs a fabric-contract-api contract', async () => {
    const out = await peer.invoke('asset', ['asset:create', 'a1', 'blue']);
    assert.equal(out.result.response.status, 200, out.result.response.message);
    assert.equal(out.result.event?.eventName, 'created');
    const missing = await peer.invoke('asset', ['asset:read', 'nope']);
    assert.equal(missing.result.response.status, 500);
    assert.match(missing.result.response.message, /asset nope does not exist/);
  });

  it('uses the definition the caller read for the invoked chaincode, and only for it', async () => {
    const kv = await peer.definitions.endorsementInfo('mychannel', 'kv');
    // `hinted` is in no definition table: only the caller's endorsement info routes it.
    const hint = { chaincodeName: 'hinted', info: kv };
    const out = await peer.invoke('hinted', ['getput', 'h1', 'v1'], { endorsementInfo: hint });
    assert.equal(out.result.response.status, 200, out.result.response.message);
    await assert.rejects(
      peer.invoke('hinted', ['get', 'h1']),
      (err: ChaincodeError) => err.code === 'CHAINCODE_NOT_DEFINED',
    );
    // Info about another chaincode is not used: kv runs from its own definition.
    const ghost = { chaincodeName: 'ghost', info: { ...kv, chaincodeId: 'ghost:1' } };
    const other = await peer.invoke('kv', ['getput', 'h2', 'v2'], { endorsementInfo: ghost });
    assert.equal(other.result.response.status, 200, other.result.response.message);
    // A chaincode-to-chaincode call looks its callee up: the caller's info does not reach it.
    const call = await peer.invoke('hinted', ['invoke', 'hinted', '', 'get', 'h1'], {
      endorsementInfo: hint,
    });
    assert.equal(call.result.response.status, 500);
    assert.match(
      call.result.response.message,
      /INVOKE_CHAINCODE failed: .*execute failed: .*chaincode hinted not found/,
    );
  });

  it('refuses a chaincode that is not defined or not installed', async () => {
    await assert.rejects(peer.invoke('ghost', ['get']), (err: ChaincodeError) => {
      assert.equal(err.code, 'CHAINCODE_NOT_DEFINED');
      assert.match(
        err.message,
        /failed to execute transaction \w+: invalid invocation: \[channel mychannel\] failed to get chaincode container info for ghost/,
      );
      return true;
    });
    peer.definitions.define('uninstalled', 'uninstalled:1');
    await assert.rejects(peer.invoke('uninstalled', ['get']), (err: ChaincodeError) => {
      assert.equal(err.code, 'CHAINCODE_NOT_INSTALLED');
      assert.match(
        err.message,
        /could not launch chaincode uninstalled:1: .*chaincode install package 'uninstalled:1' not found/,
      );
      return true;
    });
  });
});
