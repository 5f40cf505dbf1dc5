/**
 * The suite of calls the test chaincode (test/fixtures/chaincode/asset-transfer) must pass on every
 * runtime: asset CRUD and transfer, a range query with pagination, a rich query, history, a call to
 * a second chaincode, an event, transient data and state metadata. Calls are made with the Node
 * SDK's fabric-common client; what a call writes is committed straight to the ledger by the
 * harness (no ordering service yet) before the next call reads it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { signaturePolicyFromString } from '@fabric-peer/devtools';
import { common, lifecycle, protos } from '@fabric-peer/protos';
import { nodeDeploymentSpec } from './chaincode-packages.js';
import { FabricClient, sdkIdentityFromMsp, type ClientResponse } from './fabric-client.js';
import { expectOk, legacyDeployArgs, PeerHarness } from './peer-harness.js';
import { repoRoot } from './paths.js';

export const ASSET_CHAINCODE_DIR = join(repoRoot, 'test/fixtures/chaincode/asset-transfer');

/**
 * Installs and deploys (lscc) the test chaincode as `name`, committing the deploy; `extra` files
 * join its code package at their own paths (e.g. `META-INF/statedb/couchdb/indexes/...`).
 */
export async function deployAssetChaincode(
  peer: PeerHarness,
  name: string,
  extra: Readonly<Record<string, string>> = {},
): Promise<void> {
  await peer.installLegacy(
    nodeDeploymentSpec({ name, version: '1.0', dir: ASSET_CHAINCODE_DIR, extra }),
  );
  const policy = common.SignaturePolicyEnvelope.encode(
    signaturePolicyFromString("OR('Org1MSP.member')"),
  ).finish();
  const { built, response } = await peer.propose({
    channelId: peer.net.channelId,
    chaincode: 'lscc',
    args: legacyDeployArgs({
      channelId: peer.net.channelId,
      name,
      version: '1.0',
      init: [],
      policy,
    }),
  });
  expectOk(response, `lscc deploy ${name}`);
  await peer.commit([await PeerHarness.envelopeOf(built, response, peer.net.identities.admin)]);
}

/** A fabric-common client of the harness's peer, as User1 of Org1. */
export function userClient(peer: PeerHarness): Promise<FabricClient> {
  return FabricClient.connect(
    `grpc://${peer.address}`,
    sdkIdentityFromMsp(
      join(
        peer.net.dir,
        'crypto/peerOrganizations/org1.example.com/users/User1@org1.example.com/msp',
      ),
      'Org1MSP',
    ),
  );
}

function owner(assetJson: Buffer): string {
  return (JSON.parse(assetJson.toString()) as { Owner: string }).Owner;
}

/** The chaincode action an endorsed response carries. */
export function actionOf(response: ClientResponse): protos.ChaincodeAction {
  assert.ok(response.responsePayload, 'endorsed');
  const prp = protos.ProposalResponsePayload.decode(response.responsePayload);
  return protos.ChaincodeAction.decode(prp.extension);
}

/**
 * Registers the suite's tests (inside a describe whose `before` sets `ctx.peer` and
 * `ctx.client` and deployed `assets` and `other`).
 */
export function assetSuite(ctx: { peer?: PeerHarness; client?: FabricClient }): void {
  const channel = 'mychannel';
  const call = async (fn: string, args: string[], options = {}) => {
    const r = await ctx.client!.propose(channel, 'assets', fn, args, options);
    return r;
  };
  const submit = async (fn: string, args: string[], options = {}) => {
    const r = await call(fn, args, options);
    assert.equal(r.status, 200, `${fn}: ${r.message}`);
    assert.ok(r.envelope, `${fn} endorsed`);
    await ctx.peer!.commit([r.envelope]);
    return r;
  };

  it('creates, reads, updates, transfers and deletes assets', async () => {
    const created = await submit('CreateAsset', ['a1', 'red', '5', 'Tom', '300']);
    assert.equal(
      created.payload.toString(),
      '{"ID":"a1","Color":"red","Size":5,"Owner":"Tom","AppraisedValue":300}',
    );
    // The endorsement verifies against the peer's certificate.
    const endorser = ctx.peer!.net.identities.peer;
    assert.ok(
      Buffer.from(endorser.serialize()).equals(created.endorsement!.endorser),
      'endorsed by the peer',
    );
    await endorser.verify(
      Buffer.concat([created.responsePayload!, created.endorsement!.endorser]),
      created.endorsement!.signature,
    );
    await assert.rejects(
      endorser.verify(
        Buffer.concat([created.responsePayload!, Buffer.from('x')]),
        created.endorsement!.signature,
      ),
    );
    const read = await call('ReadAsset', ['a1']);
    assert.equal(read.status, 200);
    assert.equal(owner(read.payload), 'Tom');
    await submit('UpdateAsset', ['a1', 'blue', '6', 'Tom', '400']);
    const old = await submit('TransferAsset', ['a1', 'Ann']);
    assert.equal(old.payload.toString(), 'Tom');
    assert.equal(owner((await call('ReadAsset', ['a1'])).payload), 'Ann');
    await submit('DeleteAsset', ['a1']);
    const gone = await call('ReadAsset', ['a1']);
    assert.equal(gone.status, 500);
    assert.match(gone.message, /The asset a1 does not exist/);
  });

  it('pages through a key range with bookmarks', async () => {
    for (const id of ['p1', 'p2', 'p3', 'p4', 'p5']) {
      await submit('CreateAsset', [id, 'green', '1', 'Pat', '10']);
    }
    const keys: string[] = [];
    let bookmark = '';
    for (let page = 0; page < 4; page++) {
      const r = await call('GetAssetsByRangePaged', ['p1', 'p9', '2', bookmark]);
      assert.equal(r.status, 200, r.message);
      const body = JSON.parse(r.payload.toString()) as {
        records: { Key: string }[];
        fetched: number;
        bookmark: string;
      };
      assert.equal(body.fetched, body.records.length);
      keys.push(...body.records.map((x) => x.Key));
      bookmark = body.bookmark;
      if (body.records.length < 2) break;
    }
    assert.deepEqual(keys, ['p1', 'p2', 'p3', 'p4', 'p5']);
    const all = JSON.parse((await call('GetAllAssets', [])).payload.toString()) as {
      Key: string;
    }[];
    assert.deepEqual(
      all.map((x) => x.Key),
      ['p1', 'p2', 'p3', 'p4', 'p5'],
    );
  });

  it('answers a rich query (CouchDB)', async () => {
    await submit('CreateAsset', ['q1', 'violet', '3', 'Quinn', '77']);
    const r = await call('QueryAssets', ['{"selector":{"Owner":"Quinn"}}']);
    assert.equal(r.status, 200, r.message);
    const found = JSON.parse(r.payload.toString()) as { Key: string; Record: { Color: string } }[];
    assert.deepEqual(
      found.map((x) => [x.Key, x.Record.Color]),
      [['q1', 'violet']],
    );
  });

  it("returns a key's history, newest first", async () => {
    const a = await submit('CreateAsset', ['h1', 'red', '1', 'Hal', '1']);
    const b = await submit('TransferAsset', ['h1', 'Ida']);
    const c = await submit('DeleteAsset', ['h1']);
    const r = await call('GetAssetHistory', ['h1']);
    assert.equal(r.status, 200, r.message);
    const history = JSON.parse(r.payload.toString()) as { txId: string; isDelete: boolean }[];
    assert.deepEqual(
      history.map((h) => [h.txId, h.isDelete]),
      [
        [c.txId, true],
        [b.txId, false],
        [a.txId, false],
      ],
    );
  });

  it('calls a second chaincode, whose writes land in its own namespace', async () => {
    const r = await submit('CallChaincode', [
      'other',
      'put',
      JSON.stringify(['shared-key', 'from-assets']),
    ]);
    assert.equal(r.payload.toString(), 'from-assets');
    const action = actionOf(r);
    const results = action.results;
    assert.ok(results && results.length > 0);
    const got = await ctx.client!.propose(channel, 'other', 'get', ['shared-key']);
    assert.equal(got.status, 200, got.message);
    assert.equal(got.payload.toString(), 'from-assets');
  });

  it('sets a chaincode event', async () => {
    const r = await call('EmitEvent', ['AssetMoved', '{"id":"e1"}']);
    assert.equal(r.status, 200, r.message);
    const event = protos.ChaincodeEvent.decode(actionOf(r).events);
    assert.equal(event.eventName, 'AssetMoved');
    assert.equal(event.chaincodeId, 'assets');
    assert.equal(event.txId, r.txId);
    assert.equal(Buffer.from(event.payload).toString(), '{"id":"e1"}');
  });

  it('passes transient data to the chaincode', async () => {
    const secret = Buffer.from('s3cret-value');
    const r = await submit('PutTransient', ['t1'], { transient: { value: secret } });
    assert.equal(r.payload.toString(), 's3cret-value');
    const got = await ctx.client!.propose(channel, 'assets', 'get', ['t1']);
    assert.equal(got.payload.toString(), 's3cret-value');
  });

  it('sets and reads state metadata (a key-level endorsement policy)', async () => {
    await submit('put', ['m1', 'v']);
    const policy = Buffer.from(
      common.SignaturePolicyEnvelope.encode(
        signaturePolicyFromString("AND('Org1MSP.peer')"),
      ).finish(),
    ).toString('hex');
    await submit('SetKeyPolicy', ['m1', policy]);
    const r = await call('GetKeyPolicy', ['m1']);
    assert.equal(r.status, 200, r.message);
    assert.equal(r.payload.toString(), policy);
  });

  it('reports a chaincode error with status 500 and its message', async () => {
    const r = await call('Fail', ['no such thing']);
    assert.equal(r.status, 500);
    assert.match(r.message, /no such thing/);
    assert.equal(r.endorsement, undefined);
  });
}

/** A `_lifecycle` call by the org's admin that must succeed. */
async function lifecycleCall(peer: PeerHarness, channelId: string, fn: string, args: Uint8Array) {
  const { built, response } = await peer.propose({
    channelId,
    chaincode: '_lifecycle',
    args: [new TextEncoder().encode(fn), args],
  });
  expectOk(response, `_lifecycle ${fn}`);
  return { built, response };
}

/** `_lifecycle` InstallChaincode, as `peer lifecycle chaincode install` does; the package id. */
export async function installWithLifecycle(
  peer: PeerHarness,
  packageBytes: Uint8Array,
): Promise<string> {
  const installed = await lifecycleCall(
    peer,
    '',
    'InstallChaincode',
    lifecycle.InstallChaincodeArgs.encode({ chaincodeInstallPackage: packageBytes }).finish(),
  );
  return lifecycle.InstallChaincodeResult.decode(installed.response.response!.payload!).packageId;
}

/**
 * ApproveChaincodeDefinitionForMyOrg (with `packageId`, installed or not) and
 * CommitChaincodeDefinition of `name` at sequence 1 with the defaults and `collections`,
 * committing both.
 */
export async function defineWithLifecycle(
  peer: PeerHarness,
  name: string,
  packageId: string,
  collections?: protos.ICollectionConfigPackage,
): Promise<void> {
  const channelId = peer.net.channelId;
  const admin = peer.net.identities.admin;
  const definition = { sequence: 1, name, version: '1.0', ...(collections ? { collections } : {}) };
  const approve = await lifecycleCall(
    peer,
    channelId,
    'ApproveChaincodeDefinitionForMyOrg',
    lifecycle.ApproveChaincodeDefinitionForMyOrgArgs.encode({
      ...definition,
      source: { localPackage: { packageId } },
    }).finish(),
  );
  await peer.commit([await PeerHarness.envelopeOf(approve.built, approve.response, admin)]);
  const commit = await lifecycleCall(
    peer,
    channelId,
    'CommitChaincodeDefinition',
    lifecycle.CommitChaincodeDefinitionArgs.encode(definition).finish(),
  );
  await peer.commit([await PeerHarness.envelopeOf(commit.built, commit.response, admin)]);
}

/**
 * Deploys a chaincode package through `_lifecycle` as Fabric's CLI does: InstallChaincode,
 * ApproveChaincodeDefinitionForMyOrg and CommitChaincodeDefinition (sequence 1, the defaults),
 * committing the approval and the commit. Returns the package id.
 */
export async function deployWithLifecycle(
  peer: PeerHarness,
  name: string,
  packageBytes: Uint8Array,
): Promise<string> {
  const packageId = await installWithLifecycle(peer, packageBytes);
  await defineWithLifecycle(peer, name, packageId);
  return packageId;
}
