// startDevNetwork for real: crypto, genesis, the development orderer, a peer (LevelDB, in-process
// runtime), the sample chaincode deployed through _lifecycle; then the same folder started again.
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMsp, loadMspFolder } from '@fabric-peer/msp';
import { freePort, silentLoggers } from '@fabric-peer/testkit';
import {
  broadcast,
  buildSignedProposal,
  checkPortsFree,
  DevnetError,
  EndorserClient,
  layoutPaths,
  readConnectionFile,
  startDevNetwork,
  transactionEnvelope,
  type DevNetwork,
  type DevNetworkPorts,
} from '../src/index.js';

async function ports(): Promise<DevNetworkPorts> {
  return {
    orderer: await freePort(),
    peer: await freePort(),
    chaincode: await freePort(),
    operations: await freePort(),
  };
}

function user(dir: string) {
  return createMsp(loadMspFolder(layoutPaths(dir).userMsp, 'Org1MSP', { signing: true }), {
    version: 'v1_4_3',
  }).defaultSigningIdentity();
}

/** Endorses a call as User1; resolves with the response. */
async function call(net: DevNetwork, args: string[]) {
  const client = new EndorserClient(net.peerAddress);
  try {
    const built = await buildSignedProposal({
      signer: user(net.dir),
      channelId: 'mychannel',
      chaincode: 'basic',
      args,
    });
    return { built, response: await client.processProposal(built.signed) };
  } finally {
    client.close();
  }
}

async function readAsset(net: DevNetwork, id: string): Promise<Record<string, unknown>> {
  const { response } = await call(net, ['ReadAsset', id]);
  assert.equal(response.response?.status, 200, response.response?.message ?? '');
  return JSON.parse(Buffer.from(response.response.payload!).toString()) as Record<string, unknown>;
}

describe('startDevNetwork', { timeout: 120_000 }, () => {
  let root = '';
  let dir = '';
  let net: DevNetwork | undefined;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'devnet-network-'));
    dir = join(root, 'net');
  });
  after(async () => {
    await net?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('makes the network, deploys basic through _lifecycle and calls InitLedger, saying each step', async () => {
    const lines: string[] = [];
    const p = await ports();
    net = await startDevNetwork({
      dir,
      ports: p,
      loggers: silentLoggers,
      progress: (t) => lines.push(t),
    });
    const expected = [
      /^crypto: made OrdererMSP \(orderer\.example\.com\) and Org1MSP \(peer0\.org1\.example\.com, Admin, User1\) in .*\/net\/crypto$/,
      /^channel mychannel: genesis block in .*\/net\/mychannel\.block \(orderer 127\.0\.0\.1:\d+, Org1MSP, V2_0 capabilities, BatchTimeout 100ms\)$/,
      new RegExp(
        `^orderer listening on 127\\.0\\.0\\.1:${p.orderer} .*channel mychannel at height 1\\)$`,
      ),
      new RegExp(
        `^peer listening on 127\\.0\\.0\\.1:${p.peer} \\(peer0\\.org1\\.example\\.com, Org1MSP; chaincode 127\\.0\\.0\\.1:${p.chaincode}, operations http://127\\.0\\.0\\.1:${p.operations}\\)$`,
      ),
      /^channel mychannel: peer0\.org1\.example\.com joined$/,
      /^chaincode basic: installed \(package ID basic_1\.0:[0-9a-f]{64}\)$/,
      /^chaincode basic: approved by Org1MSP \(block 1\)$/,
      /^chaincode basic: committed on mychannel \(sequence 1, block 2\)$/,
      /^chaincode basic: InitLedger committed \(asset1 to asset6; block 3\)$/,
      /^chaincode basic: ready$/,
    ];
    assert.equal(lines.length, expected.length, lines.join('\n'));
    expected.forEach((re, i) => assert.match(lines[i]!, re));
    assert.equal(net.created, true);
    assert.equal(net.deployed, true);

    // The real chaincode answers with what InitLedger wrote.
    assert.deepEqual(await readAsset(net, 'asset1'), {
      AppraisedValue: 300,
      Color: 'blue',
      ID: 'asset1',
      Owner: 'Tomoko',
      Size: 5,
      docType: 'asset',
    });
    const connection = await readConnectionFile(dir);
    assert.equal(connection.peerAddress, `127.0.0.1:${p.peer}`);
    assert.equal(connection.mspId, 'Org1MSP');
    assert.match(connection.certificate.toString(), /BEGIN CERTIFICATE/);
    assert.match(
      net.instructions(),
      /npx fabric-peer chaincode invoke --channel mychannel --name basic --args '\["CreateAsset","asset7","red","5","Tom","100"\]' --dir /,
    );
  });

  it('refuses a second start on the same folder or ports while the first runs, leaving it alone', async () => {
    assert.ok(net);
    const coreYaml = await readFile(layoutPaths(dir).coreYaml, 'utf8');
    await assert.rejects(
      startDevNetwork({ dir, ports: net.ports, loggers: silentLoggers }),
      (err: unknown) => {
        assert.ok(err instanceof DevnetError);
        assert.equal(err.code, 'DEVNET_IN_USE');
        assert.match(err.message, /address in use/);
        return true;
      },
    );
    await assert.rejects(
      startDevNetwork({ dir, ports: await ports(), loggers: silentLoggers }),
      (err: unknown) => {
        assert.ok(err instanceof DevnetError);
        assert.equal(err.code, 'DEVNET_IN_USE');
        assert.match(
          err.message,
          /the development network in .* is already running in another process/,
        );
        return true;
      },
    );
    assert.equal(await readFile(layoutPaths(dir).coreYaml, 'utf8'), coreYaml);
    assert.equal((await readAsset(net, 'asset2'))['Owner'], 'Brad');
  });

  it('stops, and starts again on the same folder without deploying, with the orderer on another port', async () => {
    assert.ok(net);
    const first = net;
    await first.stop();
    await checkPortsFree(first.ports);
    net = undefined;

    const lines: string[] = [];
    const p = await ports();
    net = await startDevNetwork({
      dir,
      ports: p,
      loggers: silentLoggers,
      progress: (t) => lines.push(t),
    });
    assert.equal(net.created, false);
    assert.equal(net.deployed, false);
    assert.deepEqual(
      lines.filter((l) => l.startsWith('chaincode basic: ')),
      [
        lines.find((l) => /^chaincode basic: already installed \(package ID basic_1\.0:/.test(l)),
        'chaincode basic: already committed on mychannel (sequence 1): nothing to deploy',
        'chaincode basic: ready',
      ],
    );
    assert.match(lines[0]!, /^crypto: reusing /);
    assert.ok(
      lines.includes('channel mychannel: peer0.org1.example.com at height 4'),
      lines.join('\n'),
    );

    // A new transaction through the orderer's new port: the peer finds it through the address
    // override of the channel config's orderer endpoint, and commits it.
    const { built, response } = await call(net, ['CreateAsset', 'asset9', 'teal', '3', 'Zoe', '9']);
    assert.equal(response.response?.status, 200, response.response?.message ?? '');
    await broadcast(net.ordererAddress, await transactionEnvelope(built, [response], user(dir)));
    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = await call(net, ['ReadAsset', 'asset9']);
      if (r.response.response?.status === 200) break;
      assert.ok(Date.now() < deadline, 'asset9 was not committed');
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal((await readAsset(net, 'asset9'))['Owner'], 'Zoe');
    assert.equal((await readAsset(net, 'asset1'))['Owner'], 'Tomoko');
  });

  it('stops what it started when the start is aborted', async () => {
    await net?.stop();
    net = undefined;
    const abort = new AbortController();
    const p = await ports();
    await assert.rejects(
      startDevNetwork({
        dir: join(root, 'aborted'),
        ports: p,
        loggers: silentLoggers,
        signal: abort.signal,
        progress: (t) => {
          if (t.startsWith('peer listening')) abort.abort();
        },
      }),
      (err: unknown) => err instanceof DevnetError && err.code === 'DEVNET_ABORTED',
    );
    await checkPortsFree(p);
  });
});
