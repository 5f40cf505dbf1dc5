import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type {
  AuthFilter,
  CallContext,
  Decorator,
  EndorsementPlugin,
  ProposalProcessor,
} from '@fabric-peer/api';
import { ChaincodeError } from '@fabric-peer/chaincode';
import {
  buildProposal,
  makeTestNetwork,
  openTestChannels,
  type TestChannels,
  type TestNetwork,
} from '@fabric-peer/channel/test-support';
import { DefaultAuth, DefaultEndorsement, ExpirationCheck } from '@fabric-peer/handlers-default';
import { createMsp, loadMspFolder } from '@fabric-peer/msp';
import { createAclProvider } from '@fabric-peer/policies';
import { common, kvrwset, msp, protos, rwset } from '@fabric-peer/protos';
import { ChainBuilder, endorserTx, rwsetBytes, silentLoggers } from '@fabric-peer/testkit';
import { Endorser, EndorserError, chainAuthFilters, type EndorserOptions } from '../src/index.js';
import {
  FakeChaincodeSupport,
  RecordingMetrics,
  TableDefinitions,
  TrackingChannels,
} from '../test-support/fakes.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const CTX: CallContext = {};
const SCCS = new Set(['lscc', 'qscc', 'cscc', '_lifecycle']);

function reply(status: number, message?: string, payload?: Uint8Array): protos.Response {
  return protos.Response.create({
    status,
    ...(message !== undefined ? { message } : {}),
    ...(payload !== undefined ? { payload } : {}),
  });
}

interface Harness {
  readonly endorser: Endorser;
  readonly cs: FakeChaincodeSupport;
  readonly defs: TableDefinitions;
  readonly tracking: TrackingChannels;
  readonly metrics: RecordingMetrics;
}

describe('Endorser', () => {
  let net: TestNetwork;
  let tc: TestChannels;
  let options: Omit<EndorserOptions, 'chaincodeSupport' | 'definitions' | 'channels'>;

  before(async () => {
    net = await makeTestNetwork();
    tc = await openTestChannels(net);
    const local = createMsp(loadMspFolder(net.peerMspDir, 'Org1MSP', { signing: true }), {
      version: 'v1_4_3',
    });
    const localMsp = {
      mspId: local.id,
      deserializeIdentity: (b: Uint8Array) => local.deserializeIdentity(b),
    };
    options = {
      acl: createAclProvider({
        bundles: (id) => tc.channels.get(id)?.bundle(),
        localMsp,
      }),
      localMsp,
      signer: net.identities.peer,
      decorators: [],
      endorsementPlugin: (name) =>
        Promise.resolve(name === 'escc' ? new DefaultEndorsement() : undefined),
      systemChaincodes: SCCS,
      logger: silentLoggers('endorser'),
    };
  });

  after(async () => {
    await tc.close();
    await net.dispose();
  });

  function harness(extra: Partial<EndorserOptions> = {}): Harness {
    const cs = new FakeChaincodeSupport();
    const defs = new TableDefinitions();
    const tracking = new TrackingChannels(tc.channels);
    const metrics = new RecordingMetrics();
    defs.table.set('basic', {
      version: '1.0',
      enforceInit: false,
      endorsementPlugin: 'escc',
      chaincodeId: 'basic_1.0:abc',
    });
    // basic: put(key, value) writes through the simulator it is given; get(key) reads.
    cs.handlers.set('basic', async (params, input) => {
      const args = (input.args ?? []).map((a) => dec.decode(a));
      const sim = params.txSimulator;
      if (sim === undefined) throw new Error('no simulator');
      if (args[0] === 'put') {
        await sim.setState('basic', args[1] ?? '', enc.encode(args[2] ?? ''));
        return {
          response: reply(200, '', enc.encode('OK')),
          event: protos.ChaincodeEvent.create({
            chaincodeId: 'basic',
            txId: params.txId,
            eventName: 'put',
          }),
        };
      }
      const v = await sim.getState('basic', args[1] ?? '');
      return { response: reply(200, undefined, v) };
    });
    const endorser = new Endorser({
      ...options,
      channels: tracking,
      chaincodeSupport: cs,
      definitions: defs,
      metrics,
      ...extra,
    });
    return { endorser, cs, defs, tracking, metrics };
  }

  /** Commits a block holding one transaction with this txid. */
  async function commitTx(txId: string): Promise<void> {
    const ledger = tc.channels.get(net.channelId)!.ledger;
    const last = await ledger.getBlockByNumber(Number(ledger.getBlockchainInfo().height) - 1);
    await ledger.commit(
      ChainBuilder.after(last!).block([
        endorserTx(rwsetBytes({ namespace: 'basic' }), { txId, channelId: net.channelId }),
      ]),
    );
  }

  function propose(
    chaincode: string,
    args: string[],
    extra: Partial<Parameters<typeof buildProposal>[0]> = {},
  ): ReturnType<typeof buildProposal> {
    return buildProposal({
      signer: net.identities.user,
      channelId: net.channelId,
      chaincode,
      args,
      ...extra,
    });
  }

  it('simulates, builds the payload as Fabric and endorses with the peer identity', async () => {
    const h = harness();
    const p = await propose('basic', ['put', 'k1', 'v1'], {
      transient: { secret: enc.encode('not hashed') },
    });
    const res = await h.endorser.processProposal(p.signed, CTX);

    assert.equal(res.response?.status, 200);
    assert.equal(dec.decode(res.response?.payload ?? new Uint8Array()), 'OK');
    assert.equal(res.version, 1);
    const payload = res.payload!;
    const endorsement = res.endorsement!;

    // The endorsement verifies against the peer's certificate, over payload ‖ endorser.
    const bundle = tc.channels.get(net.channelId)!.bundle();
    const endorser = bundle.deserializer.deserializeIdentity(endorsement.endorser!);
    assert.deepEqual(
      Buffer.from(endorsement.endorser!),
      Buffer.from(net.identities.peer.serialize()),
    );
    await endorser.verify(Buffer.concat([payload, endorsement.endorser!]), endorsement.signature!);
    await assert.rejects(
      endorser.verify(Buffer.concat([payload, Uint8Array.of(0)]), endorsement.signature!),
    );

    // Proposal hash: channel header ‖ signature header ‖ payload without the transient map.
    const header = common.Header.decode(p.proposal.header);
    const cpp = protos.ChaincodeProposalPayload.decode(p.proposal.payload);
    const expectedHash = createHash('sha256')
      .update(header.channelHeader)
      .update(header.signatureHeader)
      .update(protos.ChaincodeProposalPayload.encode({ input: cpp.input }).finish())
      .digest();
    const prp = protos.ProposalResponsePayload.decode(payload);
    assert.deepEqual(Buffer.from(prp.proposalHash), expectedHash);

    const action = protos.ChaincodeAction.decode(prp.extension);
    assert.equal(action.chaincodeId?.name, 'basic');
    assert.equal(action.chaincodeId?.version, '1.0');
    assert.equal(action.response?.status, 200);
    // Go omits an empty message: the response encodes without field 2.
    assert.deepEqual(
      Buffer.from(protos.Response.encode(action.response).finish()),
      Buffer.from(protos.Response.encode({ status: 200, payload: enc.encode('OK') }).finish()),
    );
    const event = protos.ChaincodeEvent.decode(action.events);
    assert.equal(event.eventName, 'put');
    assert.equal(event.txId, p.txId);
    const txrw = rwset.TxReadWriteSet.decode(action.results);
    const ns = txrw.nsRwset.find((n) => n.namespace === 'basic');
    assert.ok(ns);
    const kv = kvrwset.KVRWSet.decode(ns.rwset!);
    assert.deepEqual(
      kv.writes.map((w) => [w.key, dec.decode(w.value)]),
      [['k1', 'v1']],
    );
    assert.deepEqual(
      res.interest?.chaincodes?.map((c) => c.name),
      ['basic'],
    );

    // The chaincode got the proposal's context and the channel's simulator, released after.
    const call = h.cs.calls[0]!;
    assert.equal(call.params.txId, p.txId);
    assert.equal(call.params.channelId, net.channelId);
    assert.ok(call.params.txSimulator);
    assert.ok(call.params.historyQueryExecutor);
    assert.equal(h.tracking.open.size, 0);
    assert.equal(h.metrics.get('endorser_proposals_received'), 1);
    assert.equal(h.metrics.get('endorser_successful_proposals'), 1);
    assert.equal(
      h.metrics.get('endorser_proposal_duration', {
        channel: net.channelId,
        chaincode: 'basic',
        success: 'true',
      }),
      1,
    );
  });

  it('hands chaincode support the definition it read for the chaincode', async () => {
    const h = harness();
    const p = await propose('basic', ['put', 'k2', 'v2']);
    const res = await h.endorser.processProposal(p.signed, CTX);
    assert.equal(res.response?.status, 200);
    assert.deepEqual(h.cs.calls[0]?.params.endorsementInfo, {
      chaincodeName: 'basic',
      info: h.defs.table.get('basic'),
    });
  });

  it('refuses an accepted signature presented with other proposal bytes', async () => {
    const h = harness();
    const p = await propose('basic', ['put', 'k3', 'v3']);
    assert.equal((await h.endorser.processProposal(p.signed, CTX)).response?.status, 200);
    // Its verification is remembered by the channel MSP; another proposal is checked anew.
    const other = await propose('basic', ['put', 'k3', 'stolen']);
    const forged = { proposalBytes: other.signed.proposalBytes, signature: p.signed.signature };
    await assert.rejects(h.endorser.processProposal(forged, CTX), (err: unknown) => {
      assert.ok(err instanceof EndorserError, String(err));
      assert.equal(err.code, 'PROPOSAL_INVALID');
      return true;
    });
    assert.equal((await h.endorser.processProposal(p.signed, CTX)).response?.status, 200);
  });

  describe('bad input', () => {
    const replayNonce = randomBytes(24);
    before(async () => {
      // A committed transaction, whose txid a replay repeats (same nonce and creator).
      const p = await propose('basic', ['get', 'x'], { nonce: replayNonce });
      await commitTx(p.txId);
    });

    type Expect =
      | { readonly rejects: string; readonly message: RegExp }
      | { readonly status: number; readonly message: RegExp; readonly payload: boolean };

    interface Case {
      readonly name: string;
      readonly setup?: (h: Harness) => void;
      readonly proposal: () => Promise<protos.ISignedProposal>;
      readonly expect: Expect;
    }

    const signedOf = async (
      spec: Partial<Parameters<typeof buildProposal>[0]> & { chaincode?: string; args?: string[] },
    ): Promise<protos.ISignedProposal> =>
      (await propose(spec.chaincode ?? 'basic', spec.args ?? ['get', 'k'], spec)).signed;

    const cases: Case[] = [
      {
        name: 'garbage bytes',
        proposal: () =>
          Promise.resolve({
            proposalBytes: Uint8Array.of(0x0a, 0x7f, 1, 2),
            signature: Uint8Array.of(1),
          }),
        expect: { rejects: 'PROPOSAL_MALFORMED', message: /^error unmarshalling Proposal: / },
      },
      {
        name: 'random bytes as the header',
        proposal: () =>
          Promise.resolve({
            proposalBytes: protos.Proposal.encode({
              header: Uint8Array.of(0x12, 0x40, 0),
            }).finish(),
            signature: Uint8Array.of(1),
          }),
        expect: { rejects: 'PROPOSAL_MALFORMED', message: /^error unmarshalling Header: / },
      },
      {
        name: 'missing header',
        proposal: () =>
          Promise.resolve({
            proposalBytes: protos.Proposal.encode({ payload: Uint8Array.of(1) }).finish(),
            signature: Uint8Array.of(1),
          }),
        expect: {
          rejects: 'PROPOSAL_MALFORMED',
          message: /^ChaincodeHeaderExtension\.ChaincodeId is nil$/,
        },
      },
      {
        name: 'empty signed proposal',
        proposal: () => Promise.resolve({}),
        expect: {
          rejects: 'PROPOSAL_MALFORMED',
          message: /^ChaincodeHeaderExtension\.ChaincodeId is nil$/,
        },
      },
      {
        name: 'bad signature',
        proposal: async () => {
          const s = await signedOf({});
          return {
            proposalBytes: s.proposalBytes,
            signature: await net.identities.user.sign(enc.encode('other')),
          };
        },
        expect: {
          rejects: 'PROPOSAL_INVALID',
          message:
            /^error validating proposal: access denied: channel \[mychannel\] creator org \[Org1MSP\]$/,
        },
      },
      {
        name: 'missing signature',
        proposal: async () => ({ proposalBytes: (await signedOf({})).proposalBytes }),
        expect: { rejects: 'PROPOSAL_INVALID', message: /empty signature bytes$/ },
      },
      {
        name: 'wrong txid',
        proposal: () => signedOf({ txId: 'abc' }),
        expect: {
          rejects: 'PROPOSAL_INVALID',
          message:
            /^error validating proposal: incorrectly computed txid 'abc' -- expected '[0-9a-f]{64}'$/,
        },
      },
      {
        name: 'header type not an endorser transaction',
        proposal: () => signedOf({ type: common.HeaderType.MESSAGE }),
        expect: { rejects: 'PROPOSAL_INVALID', message: /invalid header type MESSAGE$/ },
      },
      {
        name: 'creator of an org not on the channel',
        proposal: async () => {
          const user = net.identities.user;
          const id = msp.SerializedIdentity.decode(user.serialize());
          const stranger = {
            serialize: () =>
              msp.SerializedIdentity.encode({ mspid: 'Org9MSP', idBytes: id.idBytes }).finish(),
            sign: (m: Uint8Array) => user.sign(m),
          };
          return signedOf({ signer: stranger });
        },
        expect: {
          rejects: 'PROPOSAL_INVALID',
          message:
            /access denied: channel \[mychannel\] creator org unknown, creator is malformed$/,
        },
      },
      {
        name: 'replayed committed txid',
        proposal: () => signedOf({ nonce: replayNonce }),
        expect: {
          rejects: 'DUPLICATE_TXID',
          message: /^duplicate transaction found \[[0-9a-f]{64}\]\. Creator \[[0-9a-f]+\]$/,
        },
      },
      {
        name: 'ACL denied (peer identity is not a channel writer)',
        proposal: () => signedOf({ signer: net.identities.peer }),
        expect: {
          rejects: 'ACCESS_DENIED',
          message:
            /^failed evaluating policy on signed data during check policy \[\/Channel\/Application\/Writers\]: \[implicit policy evaluation failed/,
        },
      },
      {
        name: 'escc cannot be invoked',
        proposal: () => signedOf({ chaincode: 'escc' }),
        expect: {
          rejects: 'NOT_INVOKABLE',
          message: /^chaincode escc cannot be invoked through a proposal$/,
        },
      },
      {
        name: 'unknown channel',
        proposal: () => signedOf({ channelId: 'nochannel' }),
        expect: { status: 500, message: /^channel 'nochannel' not found$/, payload: false },
      },
      {
        name: 'unknown chaincode',
        proposal: () => signedOf({ chaincode: 'nope' }),
        expect: {
          status: 500,
          message:
            /^make sure the chaincode nope has been successfully defined on channel mychannel and try again: namespace nope is not defined$/,
          payload: false,
        },
      },
      {
        name: 'chaincode error status 500',
        setup: (h) =>
          h.cs.handlers.set('basic', () => Promise.resolve({ response: reply(500, 'boom') })),
        proposal: () => signedOf({}),
        expect: { status: 500, message: /^boom$/, payload: true },
      },
      {
        name: 'chaincode error status 404',
        setup: (h) =>
          h.cs.handlers.set('basic', () =>
            Promise.resolve({ response: reply(404, 'no such asset') }),
          ),
        proposal: () => signedOf({}),
        expect: { status: 404, message: /^no such asset$/, payload: false },
      },
      {
        name: 'chaincode timeout',
        setup: (h) =>
          h.cs.handlers.set('basic', () =>
            Promise.reject(
              new ChaincodeError(
                'EXECUTE_TIMEOUT',
                'error sending: timeout expired while executing transaction',
              ),
            ),
          ),
        proposal: () => signedOf({}),
        expect: {
          status: 500,
          message:
            /^error in simulation: error sending: timeout expired while executing transaction$/,
          payload: false,
        },
      },
      {
        name: 'chaincode throws a plain error',
        setup: (h) => h.cs.handlers.set('basic', () => Promise.reject(new TypeError('bad'))),
        proposal: () => signedOf({}),
        expect: { status: 500, message: /^error in simulation: bad$/, payload: false },
      },
      {
        name: 'unknown endorsement plugin',
        setup: (h) =>
          h.defs.table.set('basic', {
            version: '1.0',
            enforceInit: false,
            endorsementPlugin: 'myescc',
            chaincodeId: 'basic_1.0:abc',
          }),
        proposal: () => signedOf({ args: ['put', 'a', 'b'] }),
        expect: {
          status: 500,
          message:
            /^endorsing with plugin failed: plugin with name myescc could not be used: plugin with name myescc wasn't found$/,
          payload: false,
        },
      },
    ];

    for (const c of cases) {
      it(c.name, async () => {
        const h = harness();
        c.setup?.(h);
        const signed = await c.proposal();
        if ('rejects' in c.expect) {
          const e = c.expect;
          await assert.rejects(h.endorser.processProposal(signed, CTX), (err: unknown) => {
            assert.ok(err instanceof EndorserError, String(err));
            assert.equal(err.code, e.rejects);
            assert.match(err.message, e.message);
            assert.equal(err.response.response?.status, 500);
            assert.equal(err.response.response?.message, err.message);
            return true;
          });
        } else {
          const res = await h.endorser.processProposal(signed, CTX);
          assert.equal(res.response?.status, c.expect.status);
          assert.match(res.response?.message ?? '', c.expect.message);
          assert.equal(res.endorsement, undefined);
          assert.equal(res.payload !== undefined, c.expect.payload);
        }
        assert.equal(h.tracking.open.size, 0, 'every simulator released');
        assert.equal(h.metrics.get('endorser_successful_proposals'), 0);
        assert.equal(h.metrics.get('endorser_proposals_received'), 1);
      });
    }

    it('replayed committed txid (same creator and nonce)', async () => {
      const h = harness();
      // Rebuild the committed transaction's proposal: same nonce and creator give the same txid.
      const nonce = randomBytes(24);
      const p = await propose('basic', ['get', 'x'], { nonce });
      await commitTx(p.txId);
      const again = await propose('basic', ['get', 'y'], { nonce });
      assert.equal(again.txId, p.txId);
      await assert.rejects(h.endorser.processProposal(again.signed, CTX), (err: unknown) => {
        assert.ok(err instanceof EndorserError);
        assert.equal(err.code, 'DUPLICATE_TXID');
        assert.equal(
          err.message,
          `duplicate transaction found [${p.txId}]. Creator [${Buffer.from(again.creator).toString('hex')}]`,
        );
        return true;
      });
      assert.equal(
        h.metrics.get('endorser_duplicate_transaction_failures', {
          channel: net.channelId,
          chaincode: 'basic',
        }),
        1,
      );
      assert.equal(h.cs.calls.length, 0);
    });

    it('validation failures are counted', async () => {
      const h = harness();
      await assert.rejects(h.endorser.processProposal({}, CTX));
      await assert.rejects(h.endorser.processProposal(await signedOf({ txId: 'x' }), CTX));
      assert.equal(h.metrics.get('endorser_proposal_validation_failures'), 2);
      const acl = await signedOf({ signer: net.identities.peer });
      await assert.rejects(h.endorser.processProposal(acl, CTX));
      assert.equal(
        h.metrics.get('endorser_proposal_acl_failures', {
          channel: 'mychannel',
          chaincode: 'basic',
        }),
        1,
      );
    });
  });

  it('applies decorators in order to the chaincode input', async () => {
    const order: string[] = [];
    const tag = (name: string): Decorator => ({
      decorate(proposal, input) {
        order.push(name);
        assert.ok(proposal.header && proposal.payload);
        return {
          ...input,
          decorations: { ...input.decorations, [name]: enc.encode(`${order.length}`) },
        };
      },
    });
    const h = harness({ decorators: [tag('first'), tag('second')] });
    const p = await propose('basic', ['put', 'k', 'v']);
    const res = await h.endorser.processProposal(p.signed, CTX);
    assert.equal(res.response?.status, 200);
    assert.deepEqual(order, ['first', 'second']);
    const input = h.cs.calls[0]!.input;
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(input.decorations ?? {}).map(([k, v]) => [k, dec.decode(v)]),
      ),
      { first: '1', second: '2' },
    );
    assert.deepEqual(
      input.args?.map((a) => dec.decode(a)),
      ['put', 'k', 'v'],
    );
  });

  it('creates and initialises one endorsement plugin per name and channel', async () => {
    let created = 0;
    let inits = 0;
    const h = harness({
      endorsementPlugin: (name) => {
        if (name !== 'escc') return Promise.resolve(undefined);
        created++;
        const plugin = new DefaultEndorsement();
        const init = plugin.init.bind(plugin);
        const counted: EndorsementPlugin = {
          init: (deps) => {
            inits++;
            return init(deps);
          },
          endorse: (payload, sp) => plugin.endorse(payload, sp),
        };
        return Promise.resolve(counted);
      },
    });
    const results = await Promise.all(
      [1, 2, 3].map(async (i) =>
        h.endorser.processProposal((await propose('basic', ['put', `k${i}`, 'v'])).signed, CTX),
      ),
    );
    assert.ok(results.every((r) => r.endorsement !== undefined));
    assert.equal(created, 1);
    assert.equal(inits, 1);
  });

  it('invokes system chaincodes without peer/Propose and qscc without a simulator', async () => {
    const h = harness();
    h.cs.handlers.set('qscc', (params) => {
      assert.equal(params.txSimulator, undefined);
      return Promise.resolve({ response: reply(200, undefined, enc.encode('info')) });
    });
    // The peer identity fails peer/Propose, but system chaincodes check their own ACLs.
    const p = await propose('qscc', ['GetChainInfo', net.channelId], {
      signer: net.identities.peer,
    });
    const res = await h.endorser.processProposal(p.signed, CTX);
    assert.equal(res.response?.status, 200);
    assert.ok(res.endorsement);
    const action = protos.ChaincodeAction.decode(
      protos.ProposalResponsePayload.decode(res.payload!).extension,
    );
    assert.deepEqual({ ...action.chaincodeId }, { name: 'qscc', version: 'syscc' });
    assert.equal(h.tracking.simulatorsCreated, 0);
  });

  it('answers a channel-less proposal with the response only, checked by the local MSP', async () => {
    const h = harness();
    h.cs.handlers.set('cscc', (params) => {
      assert.equal(params.channelId, '');
      assert.equal(params.txSimulator, undefined);
      return Promise.resolve({ response: reply(200, undefined, enc.encode('channels')) });
    });
    const p = await buildProposal({
      signer: net.identities.admin,
      channelId: '',
      chaincode: 'cscc',
      args: ['GetChannels'],
    });
    const res = await h.endorser.processProposal(p.signed, CTX);
    assert.deepEqual(Object.keys(res).sort(), ['response']);
    assert.equal(dec.decode(res.response?.payload ?? new Uint8Array()), 'channels');
    assert.equal(h.metrics.get('endorser_successful_proposals'), 1);

    // A creator the local MSP does not know is refused.
    const stranger = {
      serialize: () =>
        msp.SerializedIdentity.encode({
          mspid: 'Org9MSP',
          idBytes: msp.SerializedIdentity.decode(net.identities.user.serialize()).idBytes,
        }).finish(),
      sign: (m: Uint8Array) => net.identities.user.sign(m),
    };
    const bad = await buildProposal({
      signer: stranger,
      channelId: '',
      chaincode: 'cscc',
      args: ['GetChannels'],
    });
    await assert.rejects(h.endorser.processProposal(bad.signed, CTX), /creator org unknown/);
  });

  describe('chaincode interest and private data', () => {
    const policy = common.SignaturePolicyEnvelope.encode({
      rule: { nOutOf: { n: 1, rules: [{ signedBy: 0 }] } },
      identities: [{ principal: common.MSPRole.encode({ mspIdentifier: 'Org1MSP' }).finish() }],
    }).finish();

    before(async () => {
      // A committed key with a key-level endorsement policy.
      const ledger = tc.channels.get(net.channelId)!.ledger;
      const last = await ledger.getBlockByNumber(Number(ledger.getBlockchainInfo().height) - 1);
      await ledger.commit(
        ChainBuilder.after(last!).block([
          endorserTx(
            rwsetBytes({
              namespace: 'basic',
              kv: {
                writes: [{ key: 'sbe', value: enc.encode('v') }],
                metadataWrites: [
                  { key: 'sbe', entries: [{ name: 'VALIDATION_PARAMETER', value: policy }] },
                ],
              },
            }),
            { channelId: net.channelId },
          ),
        ]),
      );
    });

    it('names the key-level policies of written keys', async () => {
      const h = harness();
      h.cs.handlers.set('basic', async (params, input) => {
        for (const key of (input.args ?? []).map((a) => dec.decode(a)).slice(1)) {
          await params.txSimulator!.setState('basic', key, enc.encode('new'));
        }
        return { response: reply(200) };
      });
      const onlySbe = await h.endorser.processProposal(
        (await propose('basic', ['w', 'sbe'])).signed,
        CTX,
      );
      assert.deepEqual(onlySbe.interest?.chaincodes?.length, 1);
      const call = onlySbe.interest.chaincodes[0]!;
      assert.equal(call.name, 'basic');
      assert.equal(call.disregardNamespacePolicy, true);
      assert.deepEqual(
        call.keyPolicies?.map((p) =>
          Buffer.from(common.SignaturePolicyEnvelope.encode(p).finish()),
        ),
        [Buffer.from(policy)],
      );
      const both = await h.endorser.processProposal(
        (await propose('basic', ['w', 'sbe', 'plain'])).signed,
        CTX,
      );
      const call2 = both.interest!.chaincodes![0]!;
      assert.notEqual(call2.disregardNamespacePolicy, true);
      assert.equal(call2.keyPolicies?.length, 1);
    });

    it('reads no metadata for a written key the simulation found absent', async () => {
      const h = harness();
      h.cs.handlers.set('basic', async (params, input) => {
        const [, key = '', mode] = (input.args ?? []).map((a) => dec.decode(a));
        const sim = params.txSimulator!;
        if (mode === 'read') await sim.getState('basic', key);
        await sim.setState('basic', key, enc.encode('new'));
        return { response: reply(200) };
      });
      const run = async (...args: string[]) =>
        (await h.endorser.processProposal((await propose('basic', args)).signed, CTX)).interest!
          .chaincodes![0]!;
      // Read and found absent: it had no key-level policy when the simulation ran.
      const fresh = await run('w', 'fresh-key', 'read');
      assert.deepEqual(h.tracking.metadataReads, []);
      assert.equal(fresh.name, 'basic');
      assert.equal(fresh.keyPolicies?.length ?? 0, 0);
      assert.notEqual(fresh.disregardNamespacePolicy, true);
      // Read and found: its committed metadata is read, and its policy named.
      const sbe = await run('w', 'sbe', 'read');
      assert.deepEqual(h.tracking.metadataReads, [['basic', 'sbe']]);
      assert.equal(sbe.keyPolicies?.length, 1);
      assert.equal(sbe.disregardNamespacePolicy, true);
      // Written without a read: looked up.
      await run('w', 'blind-key');
      assert.deepEqual(h.tracking.metadataReads, [
        ['basic', 'sbe'],
        ['basic', 'blind-key'],
      ]);
    });

    it('hands private writes to the distributor and names the collections', async () => {
      const distributed: {
        channelId: string;
        txId: string;
        endorsedAt: number;
        namespaces: string[];
      }[] = [];
      const h = harness({
        privateData: {
          distributePrivateData(req) {
            distributed.push({
              channelId: req.channelId,
              txId: req.txId,
              endorsedAt: req.endorsedAt,
              namespaces: req.privateRwsetProto.nsPvtRwset.map((n) => n.namespace ?? ''),
            });
            return Promise.resolve();
          },
        },
      });
      h.cs.handlers.set('basic', async (params) => {
        await params.txSimulator!.setPrivateData('basic', 'coll1', 'k', enc.encode('secret'));
        await params.txSimulator!.getPrivateData('basic', 'coll2', 'x');
        return { response: reply(200) };
      });
      const p = await propose('basic', ['pvt']);
      const res = await h.endorser.processProposal(p.signed, CTX);
      assert.equal(res.response?.status, 200, res.response?.message ?? '');
      assert.ok(res.endorsement);
      const height = Number(tc.channels.get(net.channelId)!.ledger.getBlockchainInfo().height);
      assert.deepEqual(distributed, [
        { channelId: net.channelId, txId: p.txId, endorsedAt: height, namespaces: ['basic'] },
      ]);
      // The public read-write set carries hashes only.
      const action = protos.ChaincodeAction.decode(
        protos.ProposalResponsePayload.decode(res.payload!).extension,
      );
      const results = Buffer.from(action.results);
      assert.equal(results.includes(Buffer.from('secret')), false);
      const calls = res.interest!.chaincodes!.map((c) => ({
        name: c.name,
        collections: c.collectionNames,
        noPrivateReads: c.noPrivateReads,
      }));
      assert.deepEqual(
        calls.sort((a, b) => String(a.collections).localeCompare(String(b.collections))),
        [
          { name: 'basic', collections: ['coll1'], noPrivateReads: true },
          { name: 'basic', collections: ['coll2'], noPrivateReads: false },
        ],
      );
      assert.equal(h.tracking.open.size, 0);
    });

    it('refuses private data in an lscc deploy', async () => {
      const h = harness();
      h.cs.handlers.set('lscc', async (params) => {
        await params.txSimulator!.setPrivateData('lscc', 'c', 'k', enc.encode('v'));
        return { response: reply(200) };
      });
      const res = await h.endorser.processProposal(
        (await propose('lscc', ['getccdata', net.channelId, 'x'])).signed,
        CTX,
      );
      assert.equal(
        res.response?.message,
        'error in simulation: Private data is forbidden to be used in instantiate',
      );
    });
  });

  describe('lscc deploy and upgrade', () => {
    function cds(
      name: string,
      version: string,
      extra: Partial<protos.IChaincodeDeploymentSpec> = {},
    ): Uint8Array {
      return protos.ChaincodeDeploymentSpec.encode({
        chaincodeSpec: {
          type: protos.ChaincodeSpec.Type.GOLANG,
          chaincodeId: { name, version, path: 'github.com/example/cc' },
          input: { args: [enc.encode('init'), enc.encode('a'), enc.encode('100')] },
        },
        ...extra,
      }).finish();
    }

    function lsccHarness(): Harness {
      const h = harness();
      h.cs.handlers.set('lscc', async (params, input) => {
        const args = input.args ?? [];
        let name = '';
        try {
          name =
            protos.ChaincodeDeploymentSpec.decode(args[2]!).chaincodeSpec?.chaincodeId?.name ?? '';
        } catch {
          // lscc itself would refuse it; the endorser's own check is what is tested.
        }
        const data = protos.ChaincodeData.encode({
          name,
          version: 'v',
          escc: 'escc',
          vscc: 'vscc',
        }).finish();
        await params.txSimulator!.setState('lscc', name, data);
        return { response: reply(200, undefined, data) };
      });
      h.cs.initHandlers.set('mycc:1.0', async (params, input) => {
        const args = (input.args ?? []).map((a) => dec.decode(a));
        await params.txSimulator!.setState('mycc', args[1] ?? '', enc.encode(args[2] ?? ''));
        return { response: reply(200) };
      });
      return h;
    }

    it('runs the legacy Init in the same simulator after lscc deploy', async () => {
      const h = lsccHarness();
      const p = await propose('lscc', [], {
        args: ['deploy', net.channelId, cds('mycc', '1.0')],
        signer: net.identities.admin,
      });
      const res = await h.endorser.processProposal(p.signed, CTX);
      assert.equal(res.response?.status, 200, res.response?.message ?? '');
      assert.ok(res.endorsement);

      const [lscc, init] = h.cs.calls;
      assert.equal(lscc?.kind, 'execute');
      assert.equal(init?.kind, 'legacyInit');
      assert.equal(init.name, 'mycc');
      assert.equal(init.version, '1.0');
      assert.deepEqual(
        init.input.args?.map((a) => dec.decode(a)),
        ['init', 'a', '100'],
      );
      assert.equal(init.params.txSimulator, lscc.params.txSimulator);
      assert.equal(init.params.txId, p.txId);
      assert.equal(init.params.isInitTransaction, true);

      const action = protos.ChaincodeAction.decode(
        protos.ProposalResponsePayload.decode(res.payload!).extension,
      );
      assert.deepEqual({ ...action.chaincodeId }, { name: 'lscc', version: 'syscc' });
      const namespaces = rwset.TxReadWriteSet.decode(action.results).nsRwset.map(
        (n) => n.namespace,
      );
      assert.deepEqual(namespaces.sort(), ['lscc', 'mycc']);
      assert.equal(h.tracking.open.size, 0);
    });

    it('upgrade takes the same path; other lscc functions do not', async () => {
      const h = lsccHarness();
      const up = await propose('lscc', [], {
        args: ['upgrade', net.channelId, cds('mycc', '1.0')],
      });
      assert.equal((await h.endorser.processProposal(up.signed, CTX)).response?.status, 200);
      h.cs.handlers.set('lscc', () => Promise.resolve({ response: reply(200) }));
      const get = await propose('lscc', ['getccdata', net.channelId, 'mycc']);
      assert.equal((await h.endorser.processProposal(get.signed, CTX)).response?.status, 200);
      assert.deepEqual(
        h.cs.calls.map((c) => c.kind),
        ['execute', 'legacyInit', 'execute'],
      );
    });

    const failures: [string, () => Uint8Array, (h: Harness) => void, RegExp][] = [
      [
        'a code package in the CDS',
        () => cds('mycc', '1.0', { codePackage: Uint8Array.of(1) }),
        () => undefined,
        /^error in simulation: lscc upgrade\/deploy should not include a code packages$/,
      ],
      [
        'a system chaincode name',
        () => cds('qscc', '1.0'),
        () => undefined,
        /^error in simulation: attempting to deploy a system chaincode qscc\/mychannel$/,
      ],
      [
        'a CDS that does not decode',
        () => Uint8Array.of(0x0a, 0x7f),
        () => undefined,
        /^error in simulation: error unmarshalling ChaincodeDeploymentSpec: /,
      ],
      [
        'Init failing',
        () => cds('mycc', '1.0'),
        (h) =>
          h.cs.initHandlers.set('mycc:1.0', () =>
            Promise.resolve({ response: reply(500, 'init failed') }),
          ),
        /^error in simulation: transaction returned with failure: init failed$/,
      ],
      [
        'chaincode not installed',
        () => cds('other', '2.0'),
        () => undefined,
        /^error in simulation: could not get chaincode code: chaincode other:2.0 not installed$/,
      ],
    ];
    for (const [name, spec, setup, message] of failures) {
      it(`fails with ${name}`, async () => {
        const h = lsccHarness();
        setup(h);
        const p = await propose('lscc', [], { args: ['deploy', net.channelId, spec()] });
        const res = await h.endorser.processProposal(p.signed, CTX);
        assert.equal(res.response?.status, 500);
        assert.match(res.response?.message ?? '', message);
        assert.equal(res.endorsement, undefined);
        assert.equal(h.tracking.open.size, 0);
      });
    }

    it('counts a failed Init as an instantiation failure', async () => {
      const h = lsccHarness();
      h.cs.initHandlers.delete('mycc:1.0');
      const p = await propose('lscc', [], { args: ['deploy', net.channelId, cds('mycc', '1.0')] });
      await h.endorser.processProposal(p.signed, CTX);
      assert.equal(
        h.metrics.get('endorser_chaincode_instantiation_failures', {
          channel: 'mychannel',
          chaincode: 'mycc',
        }),
        1,
      );
    });
  });

  describe('auth filters', () => {
    class Recording implements AuthFilter {
      next: ProposalProcessor | undefined;
      constructor(
        private readonly name: string,
        private readonly log: string[],
      ) {}
      init(next: ProposalProcessor): void {
        this.next = next;
      }
      processProposal(
        sp: protos.ISignedProposal,
        ctx: CallContext,
      ): Promise<protos.IProposalResponse> {
        this.log.push(this.name);
        return this.next!.processProposal(sp, ctx);
      }
    }

    it('chains filters in the configured order in front of the endorser', async () => {
      const h = harness();
      const log: string[] = [];
      const head = chainAuthFilters(
        [new Recording('a', log), new DefaultAuth(), new Recording('b', log)],
        h.endorser,
      );
      const res = await head.processProposal(
        (await propose('basic', ['put', 'k', 'v'])).signed,
        CTX,
      );
      assert.deepEqual(log, ['a', 'b']);
      assert.ok(res.endorsement);
    });

    it('a refusing filter stops the chain before the endorser', async () => {
      const h = harness();
      const log: string[] = [];
      const expired = new ExpirationCheck(() => new Date(Date.UTC(9999, 0)));
      const head = chainAuthFilters([expired, new Recording('after', log)], h.endorser);
      await assert.rejects(
        head.processProposal((await propose('basic', ['get', 'k'])).signed, CTX),
        /identity expired/,
      );
      assert.deepEqual(log, []);
      assert.equal(h.metrics.get('endorser_proposals_received'), 0);
    });

    it('with no filters the endorser is the head', () => {
      const h = harness();
      assert.equal(chainAuthFilters([], h.endorser), h.endorser);
    });
  });
});
