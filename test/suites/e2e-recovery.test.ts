/**
 * Failures on a running network: Org1's peer runs as a `fabric-peer start` process and is
 * SIGKILLed in the middle of a 1,000-transaction load submitted through its Gateway service, then
 * started again on the same ledger; later the development orderer is stopped and started again.
 * The client does what a Fabric client does after a crash: a transaction it holds endorsed but
 * whose fate it does not know is submitted again, unchanged (the ledger keeps the first copy of a
 * txid and marks later ones DUPLICATE_TXID), and one it never had endorsed is endorsed anew.
 */
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  connect,
  signers,
  type Contract,
  type Gateway,
  type Network,
} from '@hyperledger/fabric-gateway';
import { blockHeaderHash, common, protos } from '@fabric-peer/protos';
import { ASSET_CHAINCODE_DIR } from '../helpers/asset-suite.js';
import { runCli } from '../helpers/peer-process.js';
import {
  CHANNEL,
  clientCredentials,
  deployWithLifecycle,
  startTwoOrgNetwork,
  type TwoOrgNetwork,
} from '../helpers/two-org-network.js';

const VALID: number = protos.TxValidationCode.VALID;

interface LoadTx {
  readonly key: string;
  /** The endorsed transaction, once the client holds it. */
  bytes?: Uint8Array;
  txId?: string;
  /** The final validation code, once the client knows it. */
  code?: number;
  /** How many times it was submitted. */
  submits: number;
  /** The last failure seen, if any. */
  error?: string;
}

/** Pids of the processes whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) in parentheses: state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readFirst(dir: string): Buffer {
  return readFileSync(join(dir, readdirSync(dir)[0]!));
}

/** The validation codes of every transaction in a block, by txid. */
function codesOf(block: common.Block): [string, number][] {
  const filter = block.metadata!.metadata![common.BlockMetadataIndex.TRANSACTIONS_FILTER]!;
  return block.data!.data!.map((envelope, i) => {
    const payload = common.Payload.decode(common.Envelope.decode(envelope).payload);
    const header = common.ChannelHeader.decode(payload.header!.channelHeader!);
    return [header.txId, filter[i]!];
  });
}

describe('a peer killed under load, and an orderer restarted', { timeout: 600_000 }, () => {
  let net: TwoOrgNetwork;
  let grpcClient: grpc.Client;
  let gateway: Gateway;
  let network: Network;
  let contract: Contract;

  before(async () => {
    net = await startTwoOrgNetwork({
      vmProviders: ['inprocess'],
      processPeers: [1],
      batchTimeout: '250ms',
    });
    await deployWithLifecycle(net, {
      name: 'assets',
      label: 'assets_1.0',
      codeDir: ASSET_CHAINCODE_DIR,
    });
    const user = net.peers[0];
    grpcClient = new grpc.Client(user.address, clientCredentials(user.tlsRootCert), {
      // Reconnect quickly once the peer is back.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 500,
    });
    gateway = connect({
      client: grpcClient,
      identity: { mspId: user.mspId, credentials: readFirst(join(user.userMspDir, 'signcerts')) },
      signer: signers.newPrivateKeySigner(
        createPrivateKey(readFirst(join(user.userMspDir, 'keystore'))),
      ),
      commitStatusOptions: () => ({ deadline: Date.now() + 60_000 }),
    });
    network = gateway.getNetwork(CHANNEL);
    contract = network.getContract('assets');
  });

  after(async () => {
    gateway?.close();
    grpcClient?.close();
    await net?.stop();
  });

  it('SIGKILL during 1,000 transactions: the peer resumes from its height, nothing is lost or committed twice, the client learns every status', async () => {
    const txs: LoadTx[] = Array.from({ length: 1000 }, (_, i) => ({
      key: `load${i}`,
      submits: 0,
    }));
    let stopTaking = false;
    let committed = 0;
    let killedAt = -1;
    const peer1 = net.peers[0];

    /** One attempt at a transaction; failures leave it for the second round. */
    const attempt = async (tx: LoadTx): Promise<void> => {
      try {
        if (tx.bytes === undefined) {
          const endorsed = await contract
            .newProposal('CreateAsset', { arguments: [tx.key, 'red', '1', 'Kim', '1'] })
            .endorse();
          tx.bytes = endorsed.getBytes();
          tx.txId = endorsed.getTransactionId();
        }
        tx.submits++;
        const submitted = await gateway.newTransaction(tx.bytes).submit();
        tx.code = (await submitted.getStatus()).code;
        committed++;
      } catch (err) {
        // Unknown fate: a later round finds out.
        tx.error = err instanceof Error ? err.message : String(err);
      }
    };
    const run = async (concurrency: number, list: LoadTx[]): Promise<void> => {
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (!stopTaking && next < list.length) await attempt(list[next++]!);
        }),
      );
    };

    // Round 1: the load, with the kill once 300 transactions are known committed.
    const heightsBefore: number[] = [];
    /** The killed peer's chaincode processes (and its pre-warmed one). */
    const orphans: number[] = [];
    const killer = (async () => {
      while (committed < 300) await new Promise((r) => setTimeout(r, 20));
      heightsBefore.push(await peer1.chainHeight());
      orphans.push(...childrenOf(peer1.process!.child.pid!));
      await peer1.kill();
      killedAt = committed;
      stopTaking = true;
    })();
    await run(32, txs);
    await killer;
    assert.ok(killedAt >= 300);
    const unknown = txs.filter((t) => t.code === undefined);
    assert.ok(unknown.length > 0, 'the kill left transactions whose fate the client did not know');

    // The killed peer's chaincode processes end on their own: nobody else would stop them.
    assert.ok(orphans.length > 0, 'the peer had started chaincode processes');
    const deadline = Date.now() + 10_000;
    while (orphans.some(alive) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(orphans.filter(alive), [], 'no chaincode process outlives its peer');

    // The peer comes back on its own ledger.
    await peer1.restart();
    const heightAtRestart = await peer1.chainHeight();
    assert.ok(
      heightAtRestart >= heightsBefore[0]!,
      `restarted at height ${heightAtRestart}, had ${heightsBefore[0]} before the kill`,
    );

    // Then everything not known final, resubmitted unchanged or endorsed for the first time,
    // as a client does after an outage: a few rounds, the connection ready before each.
    stopTaking = false;
    let left = unknown;
    for (let round = 0; round < 5 && left.length > 0; round++) {
      await new Promise<void>((resolve, reject) =>
        grpcClient.waitForReady(Date.now() + 20_000, (err) => (err ? reject(err) : resolve())),
      );
      await run(16, left);
      left = left.filter((t) => t.code === undefined);
    }
    assert.deepEqual(
      left.map((t) => `${t.key}: ${t.error ?? ''}`),
      [],
      'the client learned every transaction final status',
    );
    for (const tx of txs) assert.equal(tx.code, VALID, `${tx.key} (${tx.txId}) is VALID`);

    // Both peers hold the same chain; every txid is VALID exactly once in it.
    const height = await peer1.chainHeight();
    await net.waitForHeight(height, 60_000);
    const valid = new Map<string, number>();
    for (let n = 0; n < height; n++) {
      const [a, b] = await Promise.all(net.peers.map((p) => p.block(n)));
      assert.equal(
        Buffer.from(blockHeaderHash(a!.header!)).toString('hex'),
        Buffer.from(blockHeaderHash(b!.header!)).toString('hex'),
        `block ${n}`,
      );
      assert.equal(Number(a!.header!.number), n);
      assert.deepEqual(codesOf(a!), codesOf(b!), `codes of block ${n}`);
      for (const [txId, code] of codesOf(a!)) {
        if (code === VALID) valid.set(txId, (valid.get(txId) ?? 0) + 1);
        else assert.equal(code, protos.TxValidationCode.DUPLICATE_TXID, `${txId} in block ${n}`);
      }
    }
    for (const tx of txs) assert.equal(valid.get(tx.txId!), 1, `${tx.key} committed once`);
    // And the state: every asset readable through the restarted peer.
    const all = JSON.parse(
      Buffer.from(await contract.evaluateTransaction('GetAllAssets')).toString(),
    ) as { Key: string }[];
    const ids = new Set(all.map((a) => a.Key));
    for (const tx of txs) assert.ok(ids.has(tx.key), `${tx.key} in the state`);
  });

  it('the peers reconnect to a restarted orderer and go on', async () => {
    await net.stopOrderer();
    // While it is down, a submit fails with a clear error and no harm.
    const down = await contract
      .newProposal('CreateAsset', { arguments: ['while-down', 'red', '1', 'Kim', '1'] })
      .endorse();
    await assert.rejects(down.submit(), (err: Error) => {
      assert.match(err.message, /orderer|UNAVAILABLE|submit/i);
      return true;
    });
    const before = await net.peers[0].chainHeight();
    await net.startOrderer();
    const results = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const tx = await contract
          .newProposal('CreateAsset', { arguments: [`after${i}`, 'red', '1', 'Kim', '1'] })
          .endorse();
        return (await (await tx.submit()).getStatus()).code;
      }),
    );
    assert.deepEqual(results, Array(10).fill(VALID));
    const height = await net.peers[0].chainHeight();
    assert.ok(height > before);
    await net.waitForHeight(height, 60_000);
    const [a, b] = await Promise.all(net.peers.map((p) => p.block(height - 1)));
    assert.deepEqual(blockHeaderHash(a!.header!), blockHeaderHash(b!.header!));
  });

  it('after fabric-peer node reset, the peer refuses proposals until it is back at its height', async () => {
    const peer1 = net.peers[0];
    const height = await peer1.chainHeight();
    await peer1.restart(async () => {
      const reset = await runCli(['node', 'reset', '--config', peer1.configFile!]);
      assert.equal(reset.code, 0, reset.out);
    });
    // Right after the start (the heights are checked every 10 s), proposals are refused.
    await assert.rejects(contract.evaluateTransaction('GetAllAssets'), (err: Error) => {
      assert.match(
        `${err.message} ${JSON.stringify((err as { details?: unknown }).details ?? '')}`,
        /endorse requests are blocked while ledgers are being rebuilt/,
      );
      return true;
    });
    // The peer pulls its blocks again from the orderer; once back at its height it endorses.
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        await contract.evaluateTransaction('GetAllAssets');
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    assert.ok((await peer1.chainHeight()) >= height);
    const [a, b] = await Promise.all(net.peers.map((p) => p.block(height - 1)));
    assert.deepEqual(blockHeaderHash(a!.header!), blockHeaderHash(b!.header!));
  });
});
