/**
 * The gateway end to end: the real `@hyperledger/fabric-gateway` client against GatewayServer on a
 * grpc-js server; this peer's real Endorser and ledger; other peers (another organization's, and a
 * second one of each) as real Endorsers served over grpc-js with their own ledgers; an ordering
 * client that commits each transaction as the next block of every ledger.
 */
import assert from 'node:assert/strict';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { ProposalProcessor } from '@fabric-peer/api';
import { signaturePolicyFromString } from '@fabric-peer/devtools';
import { endorserGrpcService } from '@fabric-peer/endorser';
import { EndorserService, GatewayService, common, gateway, msp, protos } from '@fabric-peer/protos';
import { freePort, makeCa, issue, silentLoggers } from '@fabric-peer/testkit';
import {
  CommitError,
  CommitStatusError,
  EndorseError,
  GatewayError as ClientGatewayError,
  checkpointers,
  connect,
  hash,
  type ChaincodeEvent,
  type ConnectOptions,
  type Gateway,
} from '@hyperledger/fabric-gateway';
import { GatewayServer, type GatewayServerOptions, type RemotePeer } from '../src/index.js';
import {
  CHANNEL,
  LedgerOrderer,
  clientIdentity,
  makeGatewayNetwork,
  serve,
  serveEndorser,
  startPeer,
  type GatewayTestNetwork,
  type TestPeer,
  type TestServer,
  type TestUser,
} from '../test-support/network.js';

const dec = new TextDecoder();
const enc = new TextEncoder();

/** A started gateway and a client connected to it. */
interface Harness {
  readonly server: GatewayServer;
  readonly address: string;
  readonly client: Gateway;
  /** Another client of the same gateway, for another user. */
  connectAs(user: TestUser, extra?: Partial<ConnectOptions>): Gateway;
  close(): Promise<void>;
}

/** The MSP ids of the endorsers of a committed transaction. */
async function endorsingOrgs(peer: TestPeer, txId: string): Promise<string[]> {
  const processed = await peer.ledger().getTransactionByID(txId);
  assert.ok(processed, `transaction ${txId} is on the ledger`);
  const payload = common.Payload.decode(processed.transactionEnvelope?.payload ?? new Uint8Array());
  const tx = protos.Transaction.decode(payload.data);
  const cap = protos.ChaincodeActionPayload.decode(tx.actions[0]?.payload ?? new Uint8Array());
  return (cap.action?.endorsements ?? [])
    .map((e) => msp.SerializedIdentity.decode(e.endorser ?? new Uint8Array()).mspid)
    .sort();
}

/** What the client's signer makes of a digest, for requests signed offline. */
function signDigest(who: TestUser, digest: Uint8Array): Promise<Uint8Array> {
  return clientIdentity(who).signer!(digest);
}

function rejectsWith(
  promise: Promise<unknown>,
  check: (err: ClientGatewayError) => void,
): Promise<void> {
  return assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ClientGatewayError, `a GatewayError, got ${String(err)}`);
    check(err);
    return true;
  });
}

describe('GatewayServer with the fabric-gateway client', () => {
  let net: GatewayTestNetwork;
  let org1p0: TestPeer;
  let org1p1: TestPeer;
  let org2p0: TestPeer;
  let org2p1: TestPeer;
  let peers: TestPeer[];
  const servers: TestServer[] = [];
  let org1p1Server: TestServer;
  let org2p0Server: TestServer;
  let org2p1Server: TestServer;
  let orderer: LedgerOrderer;
  let user: TestUser;
  let admin: TestUser;
  let outsider: TestUser;
  const harnesses: Harness[] = [];

  before(async () => {
    net = await makeGatewayNetwork({
      acls: { 'gateway/ChaincodeEvents': '/Channel/Application/Org1MSP/Admins' },
    });
    [org1p0, org1p1, org2p0, org2p1] = await Promise.all([
      startPeer(net, 'Org1MSP', 0),
      startPeer(net, 'Org1MSP', 1),
      startPeer(net, 'Org2MSP', 0),
      startPeer(net, 'Org2MSP', 1),
    ]);
    peers = [org1p0, org1p1, org2p0, org2p1];
    [org1p1Server, org2p0Server, org2p1Server] = await Promise.all([
      serveEndorser(org1p1),
      serveEndorser(org2p0),
      serveEndorser(org2p1),
    ]);
    servers.push(org1p1Server, org2p0Server, org2p1Server);
    orderer = new LedgerOrderer(() => peers);
    user = await net.user('Org1MSP');
    admin = await net.user('Org1MSP', 'Admin');
    outsider = await net.user('Org3MSP');
  });

  after(async () => {
    for (const h of harnesses) await h.close();
    for (const s of servers) await s.close();
    for (const p of peers) await p.close();
    await net.dispose();
  });

  function remote(server: TestServer, mspId: string): RemotePeer {
    return { endpoint: server.address, mspId };
  }

  async function harness(
    options: Partial<GatewayServerOptions> = {},
    clientOptions: Partial<ConnectOptions> = {},
  ): Promise<Harness> {
    const server = new GatewayServer({
      localEndorser: org1p0.endorser,
      channels: org1p0.channels,
      acl: org1p0.acl,
      orderingClient: orderer,
      remotePeers: () => [remote(org2p0Server, 'Org2MSP')],
      localMspId: 'Org1MSP',
      localEndpoint: 'peer0.org1.example.com:7051',
      logger: silentLoggers('gateway'),
      ...options,
    });
    const listener = await serve([server.grpcService()]);
    const clients: { client: Gateway; grpcClient: grpc.Client }[] = [];
    const connectAs = (who: TestUser, extra: Partial<ConnectOptions> = {}): Gateway => {
      const grpcClient = new grpc.Client(listener.address, grpc.credentials.createInsecure());
      const client = connect({
        client: grpcClient,
        ...clientIdentity(who),
        hash: hash.sha256,
        ...extra,
      });
      clients.push({ client, grpcClient });
      return client;
    };
    const h: Harness = {
      server,
      address: listener.address,
      client: connectAs(user, clientOptions),
      connectAs,
      async close() {
        for (const c of clients) {
          c.client.close();
          c.grpcClient.close();
        }
        server.close();
        await listener.close();
      },
    };
    harnesses.push(h);
    return h;
  }

  function contractOf(h: Harness | Gateway, chaincode = 'basic') {
    const client = 'client' in h ? h.client : h;
    return client.getNetwork(CHANNEL).getContract(chaincode);
  }

  // ---- Evaluate -----------------------------------------------------------------------------

  it('evaluates on this peer and returns the chaincode result', async () => {
    const h = await harness();
    await contractOf(h).submitTransaction('put', 'ev-1', 'one');
    const before = org2p0.chaincode.calls.length;
    const result = await contractOf(h).evaluateTransaction('get', 'ev-1');
    assert.equal(dec.decode(result), 'one');
    // Only this peer was asked.
    assert.equal(org2p0.chaincode.calls.length, before);
  });

  it('evaluates on a peer of the target organization', async () => {
    const h = await harness();
    await contractOf(h).submitTransaction('put', 'ev-2', 'two');
    await orderer.settled();
    const local = org1p0.chaincode.calls.length;
    const remoteCalls = org2p0.chaincode.calls.length;
    const result = await contractOf(h).evaluate('get', {
      arguments: ['ev-2'],
      endorsingOrganizations: ['Org2MSP'],
    });
    assert.equal(dec.decode(result), 'two');
    assert.equal(org1p0.chaincode.calls.length, local);
    assert.equal(org2p0.chaincode.calls.length, remoteCalls + 1);
  });

  it('answers a chaincode error with UNKNOWN and the peer in the details', async () => {
    const h = await harness();
    await rejectsWith(contractOf(h).evaluateTransaction('fail', 'it broke'), (err) => {
      assert.equal(err.code, grpc.status.UNKNOWN);
      assert.match(
        err.message,
        /evaluate call to endorser returned error: chaincode response 500, it broke/,
      );
      assert.deepEqual(err.details, [
        {
          address: 'peer0.org1.example.com:7051',
          mspId: 'Org1MSP',
          message: 'chaincode response 500, it broke',
        },
      ]);
    });
  });

  it('refuses a proposal whose signature is not the creator’s (FAILED_PRECONDITION)', async () => {
    const h = await harness();
    const offline = h.connectAs(user, { signer: undefined });
    const proposal = contractOf(offline).newProposal('get', { arguments: ['x'] });
    // Signed by the admin, while the creator is the user.
    const signature = await signDigest(admin, proposal.getDigest());
    const forged = offline.newSignedProposal(proposal.getBytes(), signature);
    await rejectsWith(forged.evaluate(), (err) => {
      assert.equal(err.code, grpc.status.FAILED_PRECONDITION);
      assert.match(
        err.message,
        /evaluate call to endorser returned error: error validating proposal: access denied/,
      );
      assert.equal(err.details[0]?.mspId, 'Org1MSP');
    });
  });

  it('refuses a creator from an organization outside the channel', async () => {
    const h = await harness();
    const stranger = h.connectAs(outsider);
    await rejectsWith(contractOf(stranger).evaluateTransaction('get', 'x'), (err) => {
      assert.equal(err.code, grpc.status.FAILED_PRECONDITION);
    });
  });

  it('answers UNAVAILABLE for a channel this peer has not joined', async () => {
    const h = await harness();
    await rejectsWith(
      h.client.getNetwork('otherchannel').getContract('basic').evaluateTransaction('get', 'x'),
      (err) => {
        assert.equal(err.code, grpc.status.UNAVAILABLE);
        assert.match(err.message, /failed to get config for channel \[otherchannel\]/);
      },
    );
  });

  it('bounds an evaluation by the endorsement timeout and reports the peer', async () => {
    const h = await harness({ remotePeers: () => [], settings: { endorsementTimeoutMs: 150 } });
    await rejectsWith(contractOf(h).evaluateTransaction('wait', '1500'), (err) => {
      assert.equal(err.code, grpc.status.UNAVAILABLE);
      assert.match(err.message, /failed to evaluate transaction, see attached details/);
      assert.equal(err.details.length, 1);
      assert.match(err.details[0]?.message ?? '', /timeout expired after 150ms/);
    });
  });

  it('retries the next peer when one cannot be reached', async () => {
    const dead = await freePort();
    const h = await harness({
      remotePeers: () => [
        { endpoint: `127.0.0.1:${dead}`, mspId: 'Org2MSP' },
        remote(org2p1Server, 'Org2MSP'),
      ],
    });
    await contractOf(h).submitTransaction('put', 'ev-3', 'three');
    await orderer.settled();
    const result = await contractOf(h).evaluate('get', {
      arguments: ['ev-3'],
      endorsingOrganizations: ['Org2MSP'],
    });
    assert.equal(dec.decode(result), 'three');
  });

  it('aborts the local endorsement when the client gives up', async () => {
    let seen: AbortSignal | undefined;
    const stuck: ProposalProcessor = {
      processProposal: (_sp, ctx) => {
        seen = ctx.signal;
        return new Promise(() => undefined);
      },
    };
    const h = await harness({ localEndorser: stuck, remotePeers: () => [] });
    const impatient = h.connectAs(user, {
      evaluateOptions: () => ({ deadline: Date.now() + 200 }),
    });
    await rejectsWith(contractOf(impatient).evaluateTransaction('get', 'x'), (err) => {
      assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED);
    });
    const deadline = Date.now() + 2000;
    while (seen?.aborted !== true && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(seen?.aborted, true);
  });

  // ---- Endorse and Submit -------------------------------------------------------------------

  it('submits a transaction endorsed by every known organization by default', async () => {
    const h = await harness();
    const submitted = await contractOf(h).submitAsync('put', { arguments: ['sub-1', 'v1'] });
    assert.equal(dec.decode(submitted.getResult()), 'put sub-1');
    const status = await submitted.getStatus();
    await orderer.settled();
    assert.equal(status.successful, true);
    assert.equal(status.code, protos.TxValidationCode.VALID);
    const txId = submitted.getTransactionId();
    assert.deepEqual(await endorsingOrgs(org1p0, txId), ['Org1MSP', 'Org2MSP']);
    const found = await org1p0.ledger().getTxValidationCodeByTxId(txId);
    assert.equal(BigInt(found?.blockNum ?? -1), status.blockNumber);
    // Every peer committed the write.
    for (const p of peers) {
      const qe = await p.ledger().newQueryExecutor();
      try {
        assert.equal(dec.decode((await qe.getState('basic', 'sub-1')) ?? new Uint8Array()), 'v1');
      } finally {
        qe.done();
      }
    }
  });

  it('endorsements verify against the endorsers and cover the payload', async () => {
    const h = await harness();
    const submitted = await contractOf(h).submitAsync('put', { arguments: ['sub-2', 'v2'] });
    await submitted.getStatus();
    const processed = await org1p0.ledger().getTransactionByID(submitted.getTransactionId());
    const payload = common.Payload.decode(
      processed?.transactionEnvelope?.payload ?? new Uint8Array(),
    );
    const tx = protos.Transaction.decode(payload.data);
    const cap = protos.ChaincodeActionPayload.decode(tx.actions[0]?.payload ?? new Uint8Array());
    const prp = cap.action?.proposalResponsePayload ?? new Uint8Array();
    const bundle = org1p0.channels.get(CHANNEL)!.bundle();
    for (const e of cap.action?.endorsements ?? []) {
      const identity = bundle.deserializer.deserializeIdentity(e.endorser!);
      await identity.verify(Buffer.concat([prp, e.endorser!]), e.signature!);
    }
    // The transaction carries the proposal's header and its input without the transient map.
    const cpp = protos.ChaincodeProposalPayload.decode(cap.chaincodeProposalPayload);
    assert.equal(Object.keys(cpp.TransientMap ?? {}).length, 0);
    assert.equal(
      common.ChannelHeader.decode(payload.header!.channelHeader!).txId,
      submitted.getTransactionId(),
    );
  });

  it('asks only the organizations the endorsement policy needs', async () => {
    const policies = new Map<string, protos.ApplicationPolicy.$Properties>([
      [
        'basic',
        { signaturePolicy: signaturePolicyFromString("OR('Org1MSP.peer','Org2MSP.peer')") },
      ],
    ]);
    const h = await harness({ policyFor: (_channel, cc) => Promise.resolve(policies.get(cc)) });
    const before = org2p0.chaincode.calls.length;
    const submitted = await contractOf(h).submitAsync('put', { arguments: ['pol-1', 'x'] });
    await submitted.getStatus();
    assert.deepEqual(await endorsingOrgs(org1p0, submitted.getTransactionId()), ['Org1MSP']);
    assert.equal(org2p0.chaincode.calls.length, before);

    // A channel policy reference: MAJORITY Endorsement of two organizations needs both.
    policies.set('basic', { channelConfigPolicyReference: '/Channel/Application/Endorsement' });
    const both = await contractOf(h).submitAsync('put', { arguments: ['pol-2', 'x'] });
    await both.getStatus();
    assert.deepEqual(await endorsingOrgs(org1p0, both.getTransactionId()), ['Org1MSP', 'Org2MSP']);
  });

  it('refuses a policy that no known peers can satisfy', async () => {
    const h = await harness({
      remotePeers: () => [],
      policyFor: () =>
        Promise.resolve({
          signaturePolicy: signaturePolicyFromString("AND('Org1MSP.peer','Org2MSP.peer')"),
        }),
    });
    await assert.rejects(contractOf(h).submitTransaction('put', 'pol-3', 'x'), (err: unknown) => {
      assert.ok(err instanceof EndorseError);
      assert.equal(err.code, grpc.status.FAILED_PRECONDITION);
      assert.match(
        err.message,
        /unavailability of peers: no peers of organization\(s\) \[Org2MSP\]/,
      );
      return true;
    });
  });

  it('keeps transient data in organizations allowed to see the collection', async () => {
    const transientData = { secret: 'hush' };
    const orSigners = () =>
      Promise.resolve({
        signaturePolicy: signaturePolicyFromString("OR('Org1MSP.peer','Org2MSP.peer')"),
      });
    // Without collection membership, only this organization may see the transient data: the
    // default policy (every organization) cannot be met.
    const strict = await harness();
    const before = org2p0.chaincode.calls.length;
    await assert.rejects(
      contractOf(strict).submit('pput', { arguments: ['secrets', 'pd-1', 'x'], transientData }),
      (err: unknown) => {
        assert.ok(err instanceof EndorseError);
        assert.equal(err.code, grpc.status.FAILED_PRECONDITION);
        assert.match(
          err.message,
          /not in the distribution policy of the private data collection\(s\): \[secrets\]; retry specifying trusted endorsing organizations/,
        );
        return true;
      },
    );
    assert.equal(org2p0.chaincode.calls.length, before, 'the other organization never saw it');

    // A policy this organization meets alone.
    const alone = await harness({ policyFor: orSigners });
    const mine = await contractOf(alone).submitAsync('pput', {
      arguments: ['secrets', 'pd-2', 'x'],
      transientData,
    });
    await mine.getStatus();
    assert.deepEqual(await endorsingOrgs(org1p0, mine.getTransactionId()), ['Org1MSP']);

    // Both organizations are members: both endorse.
    const members = await harness({
      collectionMembers: (_ch, cc, coll) =>
        Promise.resolve(cc === 'basic' && coll === 'secrets' ? ['Org1MSP', 'Org2MSP'] : []),
    });
    const shared = await contractOf(members).submitAsync('pput', {
      arguments: ['secrets', 'pd-3', 'x'],
      transientData,
    });
    await shared.getStatus();
    assert.deepEqual(await endorsingOrgs(org1p0, shared.getTransactionId()), [
      'Org1MSP',
      'Org2MSP',
    ]);

    // Evaluating with transient data stays in this organization too.
    const evaluated = org2p0.chaincode.calls.length;
    await contractOf(strict).evaluate('get', { arguments: ['pd-1'], transientData });
    assert.equal(org2p0.chaincode.calls.length, evaluated);
  });

  it('endorses on the organizations the client names', async () => {
    const h = await harness();
    const local = org1p0.chaincode.calls.length;
    const submitted = await contractOf(h).submitAsync('put', {
      arguments: ['orgs-1', 'x'],
      endorsingOrganizations: ['Org2MSP'],
    });
    await submitted.getStatus();
    assert.deepEqual(await endorsingOrgs(org1p0, submitted.getTransactionId()), ['Org2MSP']);
    assert.equal(org1p0.chaincode.calls.length, local);

    await assert.rejects(
      contractOf(h).submit('put', {
        arguments: ['orgs-2', 'x'],
        endorsingOrganizations: ['Org3MSP'],
      }),
      (err: unknown) => {
        assert.ok(err instanceof EndorseError);
        assert.equal(err.code, grpc.status.UNAVAILABLE);
        assert.match(err.message, /failed to find any endorsing peers for org\(s\): Org3MSP/);
        return true;
      },
    );
  });

  it('replaces a failed peer by another of its organization', async () => {
    const dead = await freePort();
    const h = await harness({
      remotePeers: () => [
        { endpoint: `127.0.0.1:${dead}`, mspId: 'Org2MSP' },
        remote(org2p1Server, 'Org2MSP'),
      ],
    });
    const submitted = await contractOf(h).submitAsync('put', { arguments: ['fo-1', 'x'] });
    assert.equal((await submitted.getStatus()).successful, true);
    assert.deepEqual(await endorsingOrgs(org1p0, submitted.getTransactionId()), [
      'Org1MSP',
      'Org2MSP',
    ]);
  });

  it('fails with the unreachable peers in the details when an organization has no peer left', async () => {
    const dead = await freePort();
    const h = await harness({
      remotePeers: () => [{ endpoint: `127.0.0.1:${dead}`, mspId: 'Org2MSP' }],
    });
    await assert.rejects(contractOf(h).submitTransaction('put', 'fo-2', 'x'), (err: unknown) => {
      assert.ok(err instanceof EndorseError);
      assert.equal(err.code, grpc.status.ABORTED);
      assert.match(err.message, /failed to collect enough transaction endorsements/);
      assert.equal(err.details.length, 1);
      assert.equal(err.details[0]?.address, `127.0.0.1:${dead}`);
      assert.equal(err.details[0]?.mspId, 'Org2MSP');
      assert.match(err.details[0]?.message ?? '', /failed to create new connection/);
      return true;
    });
  });

  it('refuses endorsements whose payloads differ', async () => {
    const h = await harness();
    await assert.rejects(contractOf(h).submitTransaction('random', 'mm-1'), (err: unknown) => {
      assert.ok(err instanceof EndorseError);
      assert.equal(err.code, grpc.status.ABORTED);
      assert.deepEqual(err.details, [
        {
          address: org2p0Server.address,
          mspId: 'Org2MSP',
          message: 'ProposalResponsePayloads do not match',
        },
      ]);
      return true;
    });
  });

  it('fails the endorsement when the chaincode fails on this peer', async () => {
    const h = await harness();
    await assert.rejects(contractOf(h).submitTransaction('fail', 'nope'), (err: unknown) => {
      assert.ok(err instanceof EndorseError);
      assert.equal(err.code, grpc.status.ABORTED);
      assert.match(err.message, /failed to endorse transaction, see attached details/);
      assert.equal(err.details[0]?.message, 'chaincode response 500, nope');
      return true;
    });
  });

  it('gives up on a peer that does not answer within the endorsement timeout', async () => {
    const silent = await serve([[EndorserService, { processProposal: () => undefined }]]);
    servers.push(silent);
    const h = await harness({
      remotePeers: () => [remote(silent, 'Org2MSP')],
      settings: { endorsementTimeoutMs: 300 },
    });
    const started = Date.now();
    await assert.rejects(contractOf(h).submitTransaction('put', 'to-1', 'x'), (err: unknown) => {
      assert.ok(err instanceof EndorseError);
      assert.equal(err.code, grpc.status.ABORTED);
      assert.match(err.details[0]?.message ?? '', /DeadlineExceeded/);
      return true;
    });
    assert.ok(Date.now() - started < 5000);
  });

  it('gives up connecting to a peer after the dial timeout', async () => {
    // Accepts TCP connections and never speaks HTTP/2.
    const sockets = new Set<Socket>();
    const mute: NetServer = createServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    const port = (mute.address() as { port: number }).port;
    try {
      const h = await harness({
        remotePeers: () => [{ endpoint: `127.0.0.1:${port}`, mspId: 'Org2MSP' }],
        settings: { dialTimeoutMs: 200, endorsementTimeoutMs: 5000 },
      });
      const started = Date.now();
      await assert.rejects(contractOf(h).submitTransaction('put', 'to-2', 'x'), (err: unknown) => {
        assert.ok(err instanceof EndorseError);
        assert.match(err.details[0]?.message ?? '', /failed to create new connection/);
        return true;
      });
      assert.ok(Date.now() - started < 4000, 'the dial timeout, not the endorsement timeout');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => mute.close(resolve));
    }
  });

  it('dials peers over TLS with the configured root certificate', async () => {
    const ca = await makeCa('tls-ca');
    const cert = await issue(ca, 'peer0.org2', { usage: 'server' });
    const tlsServer = await serveEndorser(org2p0, { certPem: cert.certPem, keyPem: cert.keyPem });
    servers.push(tlsServer);
    const h = await harness({
      remotePeers: () => [
        { endpoint: `localhost:${tlsServer.port}`, mspId: 'Org2MSP', tlsRootCertPem: ca.certPem },
      ],
    });
    const submitted = await contractOf(h).submitAsync('put', { arguments: ['tls-1', 'x'] });
    await submitted.getStatus();
    assert.deepEqual(await endorsingOrgs(org1p0, submitted.getTransactionId()), [
      'Org1MSP',
      'Org2MSP',
    ]);

    const other = await makeCa('other-ca');
    const wrong = await harness({
      remotePeers: () => [
        {
          endpoint: `localhost:${tlsServer.port}`,
          mspId: 'Org2MSP',
          tlsRootCertPem: other.certPem,
        },
      ],
    });
    await assert.rejects(contractOf(wrong).submitTransaction('put', 'tls-2', 'x'), EndorseError);
  });

  it('dials a peer again once it is back', async () => {
    const port = await freePort();
    const h = await harness({
      remotePeers: () => [{ endpoint: `127.0.0.1:${port}`, mspId: 'Org2MSP' }],
    });
    await assert.rejects(contractOf(h).submitTransaction('put', 'back-1', 'x'), EndorseError);
    const back = await serve([endorserGrpcService(org2p0.endorser)], undefined, port);
    servers.push(back);
    const submitted = await contractOf(h).submitAsync('put', { arguments: ['back-2', 'x'] });
    assert.equal((await submitted.getStatus()).successful, true);
    assert.deepEqual(await endorsingOrgs(org1p0, submitted.getTransactionId()), [
      'Org1MSP',
      'Org2MSP',
    ]);
  });

  it('reports what the ordering service refused', async () => {
    const h = await harness();
    try {
      orderer.behaviour = { kind: 'status', status: common.Status.BAD_REQUEST, info: 'too big' };
      await rejectsWith(contractOf(h).submitTransaction('put', 'ord-1', 'x'), (err) => {
        assert.equal(err.code, grpc.status.ABORTED);
        assert.equal(
          err.message.replace(/^\d+ [A-Z_]+: /, ''),
          'received unsuccessful response from orderer: status=BAD_REQUEST, info=too big',
        );
      });
      orderer.behaviour = {
        kind: 'status',
        status: common.Status.SERVICE_UNAVAILABLE,
        info: 'no leader',
      };
      await rejectsWith(contractOf(h).submitTransaction('put', 'ord-2', 'x'), (err) => {
        assert.equal(err.code, grpc.status.UNAVAILABLE);
        assert.match(err.message, /no orderers could successfully process transaction/);
        assert.match(err.details[0]?.message ?? '', /status=SERVICE_UNAVAILABLE, info=no leader/);
      });
      const failure = Object.assign(new Error('connection refused'), {
        details: { address: 'orderer.example.com:7050', mspId: 'OrdererMSP' },
      });
      orderer.behaviour = { kind: 'throw', error: failure };
      await rejectsWith(contractOf(h).submitTransaction('put', 'ord-3', 'x'), (err) => {
        assert.equal(err.code, grpc.status.UNAVAILABLE);
        assert.deepEqual(err.details, [
          {
            address: 'orderer.example.com:7050',
            mspId: 'OrdererMSP',
            message: 'connection refused',
          },
        ]);
      });
      // As @fabric-peer/deliver's ordering client reports the orderers it tried.
      const tried = Object.assign(new Error('no orderers could successfully process transaction'), {
        details: {
          failures: ['o1:7050: connection refused', 'o2:7050: status SERVICE_UNAVAILABLE x'],
        },
      });
      orderer.behaviour = { kind: 'throw', error: tried };
      await rejectsWith(contractOf(h).submitTransaction('put', 'ord-3b', 'x'), (err) => {
        assert.deepEqual(err.details, [
          { address: 'o1:7050', mspId: '', message: 'connection refused' },
          { address: 'o2:7050', mspId: '', message: 'status SERVICE_UNAVAILABLE x' },
        ]);
      });
    } finally {
      orderer.behaviour = { kind: 'order' };
    }
  });

  it('refuses a transaction whose envelope signature the orderer rejects', async () => {
    const h = await harness();
    const offline = h.connectAs(user, { signer: undefined });
    const proposal = contractOf(offline).newProposal('put', { arguments: ['ord-4', 'x'] });
    const endorsed = await offline
      .newSignedProposal(proposal.getBytes(), await signDigest(user, proposal.getDigest()))
      .endorse();
    // Signed by the admin over the user's transaction.
    const forged = offline.newSignedTransaction(
      endorsed.getBytes(),
      await signDigest(admin, endorsed.getDigest()),
    );
    await rejectsWith(forged.submit(), (err) => {
      assert.equal(err.code, grpc.status.ABORTED);
      assert.match(err.message, /status=FORBIDDEN/);
    });
  });

  it('gives up on the ordering service after the broadcast timeout', async () => {
    const h = await harness({ settings: { broadcastTimeoutMs: 200 } });
    orderer.behaviour = { kind: 'hang' };
    try {
      await rejectsWith(contractOf(h).submitTransaction('put', 'ord-5', 'x'), (err) => {
        assert.equal(err.code, grpc.status.UNAVAILABLE);
        assert.match(err.details[0]?.message ?? '', /timeout expired after 200ms/);
      });
    } finally {
      orderer.behaviour = { kind: 'order' };
      orderer.unhang();
    }
  });

  // ---- CommitStatus -------------------------------------------------------------------------

  it('waits for the transaction to commit', async () => {
    const h = await harness();
    orderer.hold = true;
    let statusPromise: Promise<unknown> | undefined;
    try {
      const submitted = await contractOf(h).submitAsync('put', { arguments: ['cs-1', 'x'] });
      let answered = false;
      statusPromise = submitted.getStatus().then((s) => {
        answered = true;
        return s;
      });
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.equal(answered, false, 'no answer before the block commits');
      const height = Number(org1p0.ledger().getBlockchainInfo().height);
      orderer.hold = false;
      await orderer.release();
      const status = (await statusPromise) as Awaited<ReturnType<typeof submitted.getStatus>>;
      assert.equal(status.code, protos.TxValidationCode.VALID);
      assert.equal(status.blockNumber, BigInt(height));
    } finally {
      orderer.hold = false;
      await orderer.release();
    }
  });

  it('answers the validation code of an invalidated transaction', async () => {
    const h = await harness();
    const proposal = contractOf(h).newProposal('put', { arguments: ['cs-2', 'x'] });
    orderer.codes.set(
      proposal.getTransactionId(),
      protos.TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
    );
    const submitted = await (await proposal.endorse()).submit();
    const status = await submitted.getStatus();
    assert.equal(status.code, protos.TxValidationCode.ENDORSEMENT_POLICY_FAILURE);
    assert.equal(status.successful, false);
    // The client's submit turns an invalid code into a CommitError.
    orderer.defaultCode = protos.TxValidationCode.MVCC_READ_CONFLICT;
    try {
      await assert.rejects(contractOf(h).submitTransaction('put', 'cs-3', 'x'), (err: unknown) => {
        assert.ok(err instanceof CommitError);
        assert.equal(err.code, protos.TxValidationCode.MVCC_READ_CONFLICT);
        return true;
      });
    } finally {
      orderer.defaultCode = protos.TxValidationCode.VALID;
    }
  });

  function commitRequest(who: TestUser, txId: string, channelId = CHANNEL): Uint8Array {
    return gateway.CommitStatusRequest.encode({
      transactionId: txId,
      channelId,
      identity: who.signing.serialize(),
    }).finish();
  }

  it('refuses a commit status request the ACL denies or whose signature is bad', async () => {
    const h = await harness();
    const offline = h.connectAs(outsider, { signer: undefined });
    const request = commitRequest(outsider, 'whatever');
    const bytes = gateway.SignedCommitStatusRequest.encode({ request }).finish();
    const denied = offline.newSignedCommit(bytes, await outsider.signing.sign(request));
    await assert.rejects(denied.getStatus(), (err: unknown) => {
      assert.ok(err instanceof CommitStatusError);
      assert.equal(err.code, grpc.status.PERMISSION_DENIED);
      return true;
    });
    const mine = commitRequest(user, 'whatever');
    const forged = offline.newSignedCommit(
      gateway.SignedCommitStatusRequest.encode({ request: mine }).finish(),
      await admin.signing.sign(mine),
    );
    await assert.rejects(forged.getStatus(), (err: unknown) => {
      assert.ok(err instanceof CommitStatusError);
      assert.equal(err.code, grpc.status.PERMISSION_DENIED);
      return true;
    });
  });

  it('stops waiting for a commit at the client deadline', async () => {
    const h = await harness();
    const request = commitRequest(user, 'never-committed');
    const commit = h.client.newSignedCommit(
      gateway.SignedCommitStatusRequest.encode({ request }).finish(),
      await user.signing.sign(request),
    );
    await assert.rejects(commit.getStatus({ deadline: Date.now() + 200 }), (err: unknown) => {
      assert.ok(err instanceof CommitStatusError);
      assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED);
      return true;
    });
  });

  // ---- ChaincodeEvents ----------------------------------------------------------------------

  async function take(events: AsyncIterable<ChaincodeEvent>, n: number): Promise<ChaincodeEvent[]> {
    const out: ChaincodeEvent[] = [];
    for await (const e of events) {
      out.push(e);
      if (out.length === n) break;
    }
    return out;
  }

  it('streams chaincode events from a block on, then new ones as they commit', async () => {
    const h = await harness();
    const start = org1p0.ledger().getBlockchainInfo().height;
    const first = await contractOf(h).submitAsync('put', { arguments: ['ce-1', 'a'] });
    await first.getStatus();
    // An invalid transaction's event is not delivered.
    const invalid = contractOf(h).newProposal('put', { arguments: ['ce-x', 'invalid'] });
    orderer.codes.set(invalid.getTransactionId(), protos.TxValidationCode.MVCC_READ_CONFLICT);
    await (await (await invalid.endorse()).submit()).getStatus();
    const second = await contractOf(h).submitAsync('put', { arguments: ['ce-2', 'b'] });
    await second.getStatus();

    const events = await h
      .connectAs(admin)
      .getNetwork(CHANNEL)
      .getChaincodeEvents('basic', {
        startBlock: BigInt(start.toString()),
      });
    try {
      const past = await take(events, 2);
      assert.deepEqual(
        past.map((e) => [e.transactionId, e.eventName, dec.decode(e.payload)]),
        [
          [first.getTransactionId(), 'put', 'a'],
          [second.getTransactionId(), 'put', 'b'],
        ],
      );
      assert.ok((past[0]?.blockNumber ?? 0n) >= BigInt(start.toString()));
      // A live one.
      const third = await contractOf(h).submitAsync('put', { arguments: ['ce-3', 'c'] });
      const [live] = await take(events, 1);
      assert.equal(live?.transactionId, third.getTransactionId());
      assert.equal(live?.chaincodeName, 'basic');
    } finally {
      events.close();
    }
  });

  it('resumes chaincode events after a checkpointed transaction', async () => {
    const h = await harness();
    const adminClient = h.connectAs(admin);
    const start = org1p0.ledger().getBlockchainInfo().height;
    const txs = [];
    for (const v of ['p', 'q', 'r']) {
      const s = await contractOf(h).submitAsync('put', { arguments: [`ck-${v}`, v] });
      await s.getStatus();
      txs.push(s.getTransactionId());
    }
    const checkpointer = checkpointers.inMemory();
    const events = await adminClient.getNetwork(CHANNEL).getChaincodeEvents('basic', {
      startBlock: BigInt(start.toString()),
    });
    const [firstEvent] = await take(events, 1);
    events.close();
    assert.equal(firstEvent?.transactionId, txs[0]);
    await checkpointer.checkpointChaincodeEvent(firstEvent!);
    const resumed = await adminClient
      .getNetwork(CHANNEL)
      .getChaincodeEvents('basic', { checkpoint: checkpointer });
    try {
      const next = await take(resumed, 2);
      assert.deepEqual(
        next.map((e) => e.transactionId),
        txs.slice(1),
      );
    } finally {
      resumed.close();
    }
  });

  it('refuses chaincode events to a signer the ACL does not allow', async () => {
    const h = await harness();
    // The channel maps gateway/ChaincodeEvents to Org1MSP's admins: the user is refused.
    const events = await h.client.getNetwork(CHANNEL).getChaincodeEvents('basic');
    await assert.rejects(
      (async () => {
        for await (const _ of events) break;
      })(),
      (err: unknown) => {
        assert.ok(err instanceof ClientGatewayError);
        assert.equal(err.code, grpc.status.PERMISSION_DENIED);
        assert.match(err.message, /Org1MSP\/Admins/);
        return true;
      },
    );
  });

  it('ends open event streams when the gateway closes', async () => {
    const h = await harness();
    const events = await h.connectAs(admin).getNetwork(CHANNEL).getChaincodeEvents('basic');
    const reading = (async () => {
      for await (const _ of events) break;
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    h.server.close();
    await assert.rejects(reading, (err: unknown) => {
      assert.ok(err instanceof ClientGatewayError);
      assert.equal(err.code, grpc.status.UNAVAILABLE);
      return true;
    });
  });

  /** Runs ChaincodeEvents in process until `count` responses came, then ends the request. */
  async function collectEvents(
    h: Harness,
    fields: Partial<gateway.ChaincodeEventsRequest.$Properties>,
    count: number,
    whileStreaming: () => Promise<void> = () => Promise.resolve(),
  ): Promise<gateway.ChaincodeEventsResponse.$Properties[]> {
    const request = gateway.ChaincodeEventsRequest.encode({
      channelId: CHANNEL,
      chaincodeId: 'basic',
      identity: admin.signing.serialize(),
      ...fields,
    }).finish();
    const signature = await admin.signing.sign(request);
    const received: gateway.ChaincodeEventsResponse.$Properties[] = [];
    const end = new AbortController();
    const streaming = h.server.chaincodeEvents(
      { request, signature },
      { signal: end.signal },
      (r) => {
        received.push(r);
        if (received.length === count) end.abort();
        return Promise.resolve();
      },
    );
    await whileStreaming();
    await streaming;
    return received;
  }

  function txIds(responses: readonly gateway.ChaincodeEventsResponse.$Properties[]): string[] {
    return responses.flatMap((r) => (r.events ?? []).map((e) => e.txId ?? ''));
  }

  it('starts chaincode events at the newest block when asked to', async () => {
    const h = await harness();
    const last = await contractOf(h).submitAsync('put', { arguments: ['nw-1', 'x'] });
    const lastStatus = await last.getStatus();
    let next = '';
    const received = await collectEvents(h, { startPosition: { newest: {} } }, 2, async () => {
      const s = await contractOf(h).submitAsync('put', { arguments: ['nw-2', 'y'] });
      next = s.getTransactionId();
    });
    assert.deepEqual(txIds(received), [last.getTransactionId(), next]);
    assert.equal(BigInt(received[0]?.blockNumber?.toString() ?? -1), lastStatus.blockNumber);
  });

  it('resumes after a transaction that set no event, and leaves out other chaincodes', async () => {
    const h = await harness();
    const start = org1p0.ledger().getBlockchainInfo().height;
    const quiet = await contractOf(h).submitAsync('set', { arguments: ['q-1', 'x'] });
    await quiet.getStatus();
    await (
      await contractOf(h, 'other').submitAsync('put', { arguments: ['q-2', 'x'] })
    ).getStatus();
    const loud = await contractOf(h).submitAsync('put', { arguments: ['q-3', 'x'] });
    await loud.getStatus();
    const received = await collectEvents(
      h,
      {
        startPosition: { specified: { number: start } },
        afterTransactionId: quiet.getTransactionId(),
      },
      1,
    );
    assert.deepEqual(txIds(received), [loud.getTransactionId()]);
  });

  // ---- bad requests on the wire -------------------------------------------------------------

  it('answers malformed requests with INVALID_ARGUMENT', async () => {
    const h = await harness();
    type Raw = grpc.Client & Record<string, (...args: unknown[]) => unknown>;
    const Ctor = grpc.makeGenericClientConstructor(GatewayService, 'Gateway');
    const raw = new Ctor(h.address, grpc.credentials.createInsecure()) as unknown as Raw;
    const unary = (name: string, request: unknown): Promise<grpc.ServiceError> =>
      new Promise((resolve, reject) =>
        (raw[name] as (r: unknown, cb: (err: grpc.ServiceError | null) => void) => void).call(
          raw,
          request,
          (err) => (err ? resolve(err) : reject(new Error(`${name} succeeded`))),
        ),
      );
    try {
      const cases: [string, unknown, RegExp][] = [
        [
          'evaluate',
          { proposedTransaction: { proposalBytes: enc.encode('garbage') } },
          /failed to unpack transaction proposal/,
        ],
        ['evaluate', {}, /a signed proposal is required/],
        ['endorse', {}, /the proposed transaction must contain a signed proposal/],
        ['endorse', { proposedTransaction: { proposalBytes: Uint8Array.of(0x0a, 0xff) } }, /./],
        [
          'submit',
          { preparedTransaction: { payload: enc.encode('x') } },
          /prepared transaction must be signed/,
        ],
        ['submit', {}, /a prepared transaction is required/],
        ['commitStatus', {}, /a commit status request is required/],
        ['commitStatus', { request: Uint8Array.of(0x0a, 0xff) }, /invalid status request/],
      ];
      for (const [name, request, message] of cases) {
        const err = await unary(name, request);
        assert.equal(err.code, grpc.status.INVALID_ARGUMENT, `${name} ${message}`);
        assert.match(err.details, message);
      }
      const stream = raw.chaincodeEvents!({
        request: Uint8Array.of(0x0a, 0xff),
      }) as grpc.ClientReadableStream<unknown>;
      const err = await new Promise<grpc.ServiceError>((resolve) => {
        stream.on('error', resolve);
        stream.on('data', () => undefined);
      });
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
      assert.match(err.details, /invalid chaincode events request/);
    } finally {
      raw.close();
    }
  });
});
