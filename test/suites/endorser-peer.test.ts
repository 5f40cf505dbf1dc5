/**
 * A whole peer answering proposals: the lscc deploy flow with one launch however many wait for
 * it, third-party plugins (a runtime, an auth filter, a decorator) loaded from core.yaml by path,
 * and bad input, each with a clear status and message and the peer still serving afterwards.
 *
 * No ordering service exists yet: where a call needs an earlier one committed, the harness writes
 * the endorsed transaction straight to the ledger (PeerHarness.commit).
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildProposal } from '@fabric-peer/channel/test-support';
import { signaturePolicyFromString } from '@fabric-peer/devtools';
import { common, type protos } from '@fabric-peer/protos';
import { httpRequest } from '@fabric-peer/testkit';
import { nodeDeploymentSpec } from '../helpers/chaincode-packages.js';
import { ASSET_CHAINCODE_DIR, deployAssetChaincode } from '../helpers/asset-suite.js';
import { expectOk, legacyDeployArgs, PeerHarness } from '../helpers/peer-harness.js';
import { pluginFixtures, repoRoot } from '../helpers/paths.js';

const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString();

const policy = common.SignaturePolicyEnvelope.encode(
  signaturePolicyFromString("OR('Org1MSP.member')"),
).finish();

describe('lscc deploy with a third-party runtime, auth filter and decorator', () => {
  let peer: PeerHarness;
  const processRuntime = join(pluginFixtures, 'process-runtime');
  const audit = join(pluginFixtures, 'acme-audit');
  let launchLog: string;

  before(async () => {
    launchLog = join(repoRoot, `test/dist/launch-${process.pid}.log`);
    peer = await PeerHarness.start({
      vmProviders: [{ name: 'process', library: processRuntime }],
      authFilters: [
        { name: 'DefaultAuth' },
        { name: 'ExpirationCheck' },
        { name: 'AuditLog', library: audit },
      ],
      decorators: [{ name: 'DefaultDecorator' }, { name: 'StampDecorator', library: audit }],
      plugins: [{ library: processRuntime, options: { launchLog } }],
      logSpec: 'warning:acme.audit=info',
    });
    await peer.joinChannel();
  });

  after(async () => {
    await peer?.stop();
    rmSync(launchLog, { force: true });
  });

  it('runs INIT during simulation through the configured runtime; concurrent deploys share one launch', async () => {
    await peer.installLegacy(
      nodeDeploymentSpec({ name: 'assets', version: '1.0', dir: ASSET_CHAINCODE_DIR }),
    );
    const deploy = () =>
      peer.propose({
        channelId: peer.net.channelId,
        chaincode: 'lscc',
        args: legacyDeployArgs({
          channelId: peer.net.channelId,
          name: 'assets',
          version: '1.0',
          init: [],
          policy,
        }),
      });
    // Three deploys simulated at once (none committed yet): each runs INIT, one launch serves all.
    const results = await Promise.all([deploy(), deploy(), deploy()]);
    for (const { response } of results) expectOk(response, 'lscc deploy');
    assert.deepEqual(readFileSync(launchLog, 'utf8').trim().split('\n'), ['assets:1.0']);

    await peer.commit([
      await PeerHarness.envelopeOf(
        results[0].built,
        results[0].response,
        peer.net.identities.admin,
      ),
    ]);
    const calls = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        peer.propose({
          signer: peer.net.identities.user,
          channelId: peer.net.channelId,
          chaincode: 'assets',
          args: ['put', `k${i}`, `v${i}`],
        }),
      ),
    );
    for (const { response } of calls) expectOk(response, 'put');
    assert.deepEqual(readFileSync(launchLog, 'utf8').trim().split('\n'), ['assets:1.0']);
  });

  it('passes proposals through the third-party auth filter and decorator', async () => {
    const { response } = await peer.propose({
      signer: peer.net.identities.user,
      channelId: peer.net.channelId,
      chaincode: 'assets',
      args: ['EchoArgs', 'stamp-me'],
    });
    expectOk(response, 'EchoArgs');
    assert.equal(text(response.response?.payload), 'acme-stamp=audited');
    const seen = peer
      .records()
      .filter((r) => r['name'] === 'acme.audit' && r['msg'] === 'proposal');
    assert.ok(seen.length >= 1, 'the audit filter saw proposals');
  });
});

describe('bad input', () => {
  let peer: PeerHarness;

  before(async () => {
    peer = await PeerHarness.start({
      vmProviders: [{ name: 'inprocess' }],
      set: { 'chaincode.executetimeout': '3s', 'chaincode.startuptimeout': '5s' },
    });
    await peer.joinChannel();
    await deployAssetChaincode(peer, 'assets');
  });

  after(async () => {
    await peer?.stop();
  });

  const user = () => peer.net.identities.user;
  const call = (args: string[], chaincode = 'assets', channelId = peer.net.channelId) =>
    peer.propose({ signer: user(), channelId, chaincode, args });

  /** The peer still endorses an ordinary call. */
  async function stillServing(): Promise<void> {
    const { response } = await call(['put', 'alive', 'yes']);
    expectOk(response, 'a call after the bad one');
  }

  async function rejected(signed: protos.ISignedProposal, pattern: RegExp): Promise<void> {
    await assert.rejects(peer.processProposal(signed), (err: Error) => {
      assert.match(err.message, pattern);
      return true;
    });
    await stillServing();
  }

  async function status500(response: protos.IProposalResponse, pattern: RegExp): Promise<void> {
    assert.equal(response.response?.status, 500, response.response?.message ?? '');
    assert.match(response.response?.message ?? '', pattern);
    assert.equal(response.endorsement ?? undefined, undefined, 'not endorsed');
    await stillServing();
  }

  it('refuses an unsigned proposal', async () => {
    const { built } = await call(['put', 'x', '1']);
    await rejected(
      { proposalBytes: built.signed.proposalBytes, signature: new Uint8Array() },
      /empty signature/,
    );
  });

  it('refuses a proposal signed over other bytes', async () => {
    const { built } = await call(['put', 'x', '1']);
    const signature = await user().sign(new TextEncoder().encode('something else'));
    await rejected({ proposalBytes: built.signed.proposalBytes, signature }, /signature|denied/i);
  });

  it('refuses bytes that are not a proposal', async () => {
    await rejected(
      { proposalBytes: Uint8Array.of(0xff, 0x01, 0x02), signature: Uint8Array.of(1) },
      /failed parsing proposal/,
    );
  });

  it('refuses a wrong txid', async () => {
    const built = await buildProposal({
      signer: user(),
      channelId: peer.net.channelId,
      chaincode: 'assets',
      args: ['put', 'x', '1'],
      txId: 'f'.repeat(64),
    });
    await rejected(built.signed, /incorrectly computed txid/);
  });

  it('refuses a replayed (committed) txid', async () => {
    const { built, response } = await call(['put', 'replay', '1']);
    expectOk(response, 'put');
    await peer.commit([await PeerHarness.envelopeOf(built, response, user())]);
    await rejected(built.signed, /duplicate transaction found/);
  });

  it('answers an unknown channel with 500', async () => {
    const { response } = await call(['put', 'x', '1'], 'assets', 'nochannel');
    await status500(response, /nochannel/);
  });

  it('answers an unknown chaincode with 500', async () => {
    const { response } = await call(['put', 'x', '1'], 'nope');
    await status500(response, /nope/);
  });

  it('answers a chaincode that throws with 500 and its message', async () => {
    const { response } = await call(['Fail', 'out of coffee']);
    await status500(response, /out of coffee/);
  });

  it(
    'ends a chaincode that never answers at chaincode.executetimeout',
    { timeout: 30_000 },
    async () => {
      const started = Date.now();
      const { response } = await call(['Hang']);
      assert.ok(Date.now() - started >= 2_900, 'waited for the execute timeout');
      await status500(response, /timeout expired while executing transaction/);
    },
  );

  it(
    'fails the transaction of a chaincode that crashes, then relaunches it',
    { timeout: 30_000 },
    async () => {
      const { response } = await call(['Crash']);
      await status500(response, /stream terminated|exited/);
    },
  );

  it(
    'gives up on a chaincode that never registers at chaincode.startuptimeout',
    { timeout: 30_000 },
    async () => {
      await peer.installLegacy(
        nodeDeploymentSpec({
          name: 'sleeper',
          version: '1.0',
          dir: join(repoRoot, 'test/fixtures/chaincode/never-registers'),
        }),
      );
      const { response } = await peer.propose({
        channelId: peer.net.channelId,
        chaincode: 'lscc',
        args: legacyDeployArgs({
          channelId: peer.net.channelId,
          name: 'sleeper',
          version: '1.0',
          init: [],
          policy,
        }),
      });
      await status500(response, /timeout expired while starting chaincode sleeper:1\.0/);
    },
  );
});

describe('Docker not running', () => {
  let peer: PeerHarness;

  before(async () => {
    peer = await PeerHarness.start({
      vmProviders: [{ name: 'docker' }],
      set: { 'vm.endpoint': 'unix:///nonexistent/docker.sock' },
    });
    await peer.joinChannel();
  });

  after(async () => {
    await peer?.stop();
  });

  it('fails the deploy naming vm.endpoint, and /healthz names docker', async () => {
    await peer.installLegacy(
      nodeDeploymentSpec({ name: 'assets', version: '1.0', dir: ASSET_CHAINCODE_DIR }),
    );
    const { response } = await peer.propose({
      channelId: peer.net.channelId,
      chaincode: 'lscc',
      args: legacyDeployArgs({
        channelId: peer.net.channelId,
        name: 'assets',
        version: '1.0',
        init: [],
        policy,
      }),
    });
    assert.equal(response.response?.status, 500);
    assert.match(
      response.response?.message ?? '',
      /vm\.endpoint=unix:\/\/\/nonexistent\/docker\.sock/,
    );
    const health = await httpRequest(`${peer.operationsUrl}/healthz`);
    assert.equal(health.status, 503);
    const body = JSON.parse(health.body) as { failed_checks: { component: string }[] };
    assert.deepEqual(
      body.failed_checks.map((c) => c.component),
      ['docker'],
    );
    // The peer still answers queries that need no chaincode.
    const { response: info } = await peer.propose({
      signer: peer.net.identities.user,
      channelId: peer.net.channelId,
      chaincode: 'qscc',
      args: ['GetChainInfo', peer.net.channelId],
    });
    expectOk(info, 'qscc GetChainInfo');
  });
});
