/**
 * DefaultValidation (vscc) alone, with a recording policy evaluator and an in-memory state: which
 * policies it evaluates for which writes (Fabric's v20, v13 and v12 logic), how transactions of one
 * block wait on earlier ones that change key-level policies, and which failures are policy failures
 * and which stop the block. The committer's suites run it against real signatures and a real ledger.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EndorsementPolicyFailure,
  ValidationExecutionError,
  type SignedData,
  type ValidationDependencies,
  type ValidationRequest,
} from '@fabric-peer/api';
import { Long, common, kvrwset, protos, rwset } from '@fabric-peer/protos';

import { DefaultValidation } from '../src/index.js';

const enc = new TextEncoder();
const VP = 'VALIDATION_PARAMETER';

/** An ApplicationPolicy naming a channel policy: the fake evaluator passes `ok*`, fails the rest. */
const policy = (name: string) =>
  protos.ApplicationPolicy.encode({ channelConfigPolicyReference: name }).finish();
/** A key-level parameter (SignaturePolicyEnvelope); the fake tells them apart by `n`. */
const keyPolicy = (n: number) =>
  common.SignaturePolicyEnvelope.encode({
    version: 0,
    rule: { nOutOf: { n, rules: [] } },
  }).finish();

interface Writes {
  writes?: string[];
  metadata?: { key: string; vp?: Uint8Array }[];
  collections?: { name: string; writes?: Uint8Array[]; metadata?: Uint8Array[] }[];
}

function results(ns: string, w: Writes): Uint8Array {
  return rwset.TxReadWriteSet.encode({
    nsRwset: [
      {
        namespace: ns,
        rwset: kvrwset.KVRWSet.encode({
          writes: (w.writes ?? []).map((key) => ({ key, value: enc.encode('v') })),
          metadataWrites: (w.metadata ?? []).map((m) => ({
            key: m.key,
            entries: m.vp === undefined ? [] : [{ name: VP, value: m.vp }],
          })),
        }).finish(),
        collectionHashedRwset: (w.collections ?? []).map((c) => ({
          collectionName: c.name,
          hashedRwset: kvrwset.HashedRWSet.encode({
            hashedWrites: (c.writes ?? []).map((keyHash) => ({ keyHash, valueHash: keyHash })),
            metadataWrites: (c.metadata ?? []).map((keyHash) => ({ keyHash, entries: [] })),
          }).finish(),
        })),
      },
    ],
  }).finish();
}

/** An (unsigned) endorser transaction envelope carrying `results`. */
function envelope(res: Uint8Array): Uint8Array {
  const action = protos.ChaincodeAction.encode({
    results: res,
    chaincodeId: { name: 'cc' },
  }).finish();
  const prp = protos.ProposalResponsePayload.encode({ extension: action }).finish();
  const cap = protos.ChaincodeActionPayload.encode({
    action: { proposalResponsePayload: prp },
  }).finish();
  const payload = common.Payload.encode({
    header: {
      channelHeader: common.ChannelHeader.encode({
        type: common.HeaderType.ENDORSER_TRANSACTION,
      }).finish(),
    },
    data: protos.Transaction.encode({ actions: [{ payload: cap }] }).finish(),
  }).finish();
  return common.Envelope.encode({ payload }).finish();
}

function block(...txs: Uint8Array[]): common.IBlock {
  return { header: { number: Long.fromNumber(7, true) }, data: { data: txs.map(envelope) } };
}

const SIGS: SignedData[] = [
  { data: enc.encode('d'), identity: enc.encode('i'), signature: enc.encode('s') },
];

/** Dependencies with a recording evaluator and metadata by key. */
function deps(options: {
  capabilities?: string[];
  metadata?: Record<string, Record<string, Uint8Array>>;
  collections?: Record<string, Uint8Array | Error>;
  stateError?: Error;
}) {
  const evaluated: string[] = [];
  const d: ValidationDependencies = {
    channelId: 'ch',
    identities: { deserializeIdentity: () => assert.fail('not used') },
    policies: {
      evaluate(bytes: Uint8Array, signatures: readonly SignedData[]): Promise<void> {
        assert.equal(signatures, SIGS, 'the endorsements are passed on as they came');
        const p = protos.ApplicationPolicy.decode(bytes);
        const name =
          p.Type === 'channelConfigPolicyReference'
            ? p.channelConfigPolicyReference
            : `key-${p.signaturePolicy?.rule?.nOutOf?.n ?? '?'}`;
        evaluated.push(name);
        return name.startsWith('ok') || name === 'key-1'
          ? Promise.resolve()
          : Promise.reject(new Error(`${name} not satisfied`));
      },
    },
    state: {
      getStateMetadata: (ns, key) => {
        if (options.stateError) return Promise.reject(options.stateError);
        return Promise.resolve(options.metadata?.[`${ns}/${key}`]);
      },
      getPrivateDataMetadataByHash: (ns, coll, hash) =>
        Promise.resolve(options.metadata?.[`${ns}/${coll}/${Buffer.from(hash).toString('hex')}`]),
    },
    collections: {
      collectionEndorsementPolicy: (_ns, coll) => {
        const found = options.collections?.[coll];
        if (found instanceof Error) return Promise.reject(found);
        return Promise.resolve(found ?? new Uint8Array(0));
      },
    },
    hasCapability: (name) => (options.capabilities ?? ['V2_0', 'V1_3']).includes(name),
  };
  return { d, evaluated };
}

function request(b: common.IBlock, txPosition: number, cc = policy('okCC')): ValidationRequest {
  return {
    block: b,
    namespace: 'cc',
    txPosition,
    actionPosition: 0,
    policy: cc,
    endorsements: SIGS,
  };
}

async function plugin(d: ValidationDependencies): Promise<DefaultValidation> {
  const p = new DefaultValidation();
  await p.init(d);
  return p;
}

describe('DefaultValidation', () => {
  it('checks the chaincode policy once for public writes without key-level policies', async () => {
    const { d, evaluated } = deps({});
    const b = block(results('cc', { writes: ['a', 'b'] }));
    await (await plugin(d)).validate(request(b, 0));
    assert.deepEqual(evaluated, ['okCC']);
  });

  it('checks the chaincode policy of a transaction with no writes (FAB-9473)', async () => {
    const { d, evaluated } = deps({});
    await (await plugin(d)).validate(request(block(results('cc', {})), 0));
    assert.deepEqual(evaluated, ['okCC']);
  });

  it('uses the key-level policy of a written key instead of the chaincode policy', async () => {
    const { d, evaluated } = deps({ metadata: { 'cc/a': { [VP]: keyPolicy(1) } } });
    const p = await plugin(d);
    await p.validate(request(block(results('cc', { writes: ['a'] })), 0, policy('failCC')));
    assert.deepEqual(evaluated, ['key-1']);
    await assert.rejects(
      p.validate(request(block(results('cc', { writes: ['a', 'b'] })), 0, policy('failCC'))),
      (err: unknown) =>
        err instanceof EndorsementPolicyFailure &&
        /validation of endorsement policy for chaincode cc in tx 7:0 failed/.test(err.message),
    );
  });

  it('fails a key whose key-level policy is not satisfied, naming the key', async () => {
    const { d } = deps({ metadata: { 'cc/a': { [VP]: keyPolicy(2) } } });
    await assert.rejects(
      (await plugin(d)).validate(request(block(results('cc', { writes: ['a'] })), 0)),
      /validation of key a \(coll'':ns'cc'\) in tx 7:0 failed/,
    );
  });

  it('uses collection policies for collection writes, the chaincode policy without one', async () => {
    const h = Uint8Array.of(1, 2);
    const { d, evaluated } = deps({ collections: { c1: policy('okColl'), c2: new Uint8Array(0) } });
    const b = block(
      results('cc', {
        collections: [
          { name: 'c1', writes: [h] },
          { name: 'c2', writes: [h] },
        ],
      }),
    );
    await (await plugin(d)).validate(request(b, 0));
    assert.deepEqual(evaluated, ['okColl', 'okCC']);
    const missing = deps({
      collections: { c1: new EndorsementPolicyFailure("no such collection 'c1'") },
    });
    await assert.rejects(
      (await plugin(missing.d)).validate(
        request(block(results('cc', { collections: [{ name: 'c1', writes: [h] }] })), 0),
      ),
      /no such collection/,
    );
  });

  it('follows v1.3 (no collection policies) and v1.2 (the chaincode policy only) on older channels', async () => {
    const h = Uint8Array.of(9);
    const v13 = deps({ capabilities: ['V1_3'], collections: { c1: policy('failColl') } });
    await (
      await plugin(v13.d)
    ).validate(request(block(results('cc', { collections: [{ name: 'c1', writes: [h] }] })), 0));
    assert.deepEqual(v13.evaluated, ['okCC']);
    const v12 = deps({ capabilities: [], metadata: { 'cc/a': { [VP]: keyPolicy(2) } } });
    await (await plugin(v12.d)).validate(request(block(results('cc', { writes: ['a'] })), 0));
    assert.deepEqual(v12.evaluated, ['okCC']);
  });

  it('makes a writer wait for an earlier metadata writer of the same key, and fails it if that one passed', async () => {
    const { d } = deps({});
    const p = await plugin(d);
    const b = block(
      results('cc', { metadata: [{ key: 'a', vp: keyPolicy(1) }] }),
      results('cc', { writes: ['a'] }),
    );
    let settled = false;
    const second = p.validate(request(b, 1)).finally(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, 'it waits for transaction 0');
    await p.validate(request(b, 0));
    await assert.rejects(
      second,
      /validation parameters for key \[a\] in namespace \[cc\] have been changed in transaction 0/,
    );
  });

  it('does not fail a writer when the earlier metadata writer failed or was never validated', async () => {
    const failing = deps({});
    const p = await plugin(failing.d);
    const b = block(results('cc', { metadata: [{ key: 'a' }] }), results('cc', { writes: ['a'] }));
    await assert.rejects(p.validate(request(b, 0, policy('failCC'))));
    await p.validate(request(b, 1));

    const q = await plugin(deps({}).d);
    const c = block(results('cc', { metadata: [{ key: 'a' }] }), results('cc', { writes: ['a'] }));
    const waiting = q.validate(request(c, 1));
    q.transactionDone(c, 0);
    await waiting;
  });

  it('starts afresh with each block', async () => {
    const p = await plugin(deps({}).d);
    const first = block(
      results('cc', { metadata: [{ key: 'a' }] }),
      results('cc', { writes: ['a'] }),
    );
    await p.validate(request(first, 0));
    await assert.rejects(p.validate(request(first, 1)));
    // Same content, another block: transaction 0 of it has not been validated yet.
    const next = block(
      results('cc', { metadata: [{ key: 'a' }] }),
      results('cc', { writes: ['a'] }),
    );
    const waiting = p.validate(request(next, 1));
    p.transactionDone(next, 0);
    await waiting;
  });

  it('uses the read-write set the committer extracted when given', async () => {
    const { d, evaluated } = deps({ metadata: { 'cc/x': { [VP]: keyPolicy(1) } } });
    const b = block(results('cc', { writes: ['other'] }));
    await (
      await plugin(d)
    ).validate({ ...request(b, 0, policy('failCC')), results: results('cc', { writes: ['x'] }) });
    assert.deepEqual(evaluated, ['key-1']);
  });

  it('refuses malformed requests as policy failures', async () => {
    const p = await plugin(deps({}).d);
    const b = block(results('cc', {}));
    await assert.rejects(
      p.validate(request(b, 3)),
      /block has only 1 transactions, but requested tx at position 3/,
    );
    await assert.rejects(
      p.validate({ ...request(b, 0), block: { data: b.data } }),
      /no block header/,
    );
    await assert.rejects(
      p.validate(request({ header: b.header, data: { data: [Uint8Array.of(0x0a, 0x03)] } }, 0)),
      (err: unknown) =>
        err instanceof EndorsementPolicyFailure &&
        /txRWSet.FromProtoBytes failed/.test(err.message),
    );
  });

  it('stops the block when state cannot be read or a stored key-level policy is not one', async () => {
    const broken = deps({ stateError: new Error('disk on fire') });
    await assert.rejects(
      (await plugin(broken.d)).validate(request(block(results('cc', { writes: ['a'] })), 0)),
      (err: unknown) => err instanceof ValidationExecutionError && /disk on fire/.test(err.message),
    );
    const garbage = deps({ metadata: { 'cc/a': { [VP]: Uint8Array.of(0x0a, 0x05) } } });
    await assert.rejects(
      (await plugin(garbage.d)).validate(request(block(results('cc', { writes: ['a'] })), 0)),
      (err: unknown) =>
        err instanceof ValidationExecutionError &&
        /could not translate policy for cc:a/.test(err.message),
    );
  });

  it('must be initialised first', async () => {
    await assert.rejects(
      new DefaultValidation().validate(request(block(results('cc', {})), 0)),
      ValidationExecutionError,
    );
  });
});
