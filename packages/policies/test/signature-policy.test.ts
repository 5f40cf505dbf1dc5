/** Signature policies (cauthdsl): Fabric's greedy semantics, signature-set handling, compile errors. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { SignedData } from '@fabric-peer/api';
import { common } from '@fabric-peer/protos';

import {
  PolicyError,
  createSignaturePolicy,
  signaturePolicyFromBytes,
  validIdentities,
} from '../src/index.js';
import { FakeIdentity, RegistryDeserializer, principal } from '../test-support/fakes.js';

type Rule = common.SignaturePolicy.$Properties;
const signedBy = (i: number): Rule => ({ signedBy: i });
const nOutOf = (n: number, ...rules: Rule[]): Rule => ({ nOutOf: { n, rules } });

/** Principals P0..P4, told apart by their MSP id. */
const PRINCIPALS = [0, 1, 2, 3, 4].map((i) => principal(`P${i}`, 'MEMBER'));
const indexOf = (p: common.MSPPrincipal.$Properties): number =>
  PRINCIPALS.findIndex((q) => Buffer.from(q.principal).equals(Buffer.from(p.principal ?? [])));

/** An identity satisfying exactly the principals listed. */
function who(name: string, satisfies: number[], verifies = true): FakeIdentity {
  return new FakeIdentity({
    mspId: 'Org1MSP',
    name,
    satisfies: (p) => satisfies.includes(indexOf(p)),
    verifies,
  });
}

const MESSAGE = new Uint8Array(Buffer.from('the signed message'));

function policyOf(rule: Rule, deserializer: RegistryDeserializer, principals = PRINCIPALS) {
  return createSignaturePolicy({ version: 0, rule, identities: principals }, deserializer);
}

/** Evaluates `rule` over signatures by `signers` (in order): true when satisfied. */
async function holds(
  rule: Rule,
  signers: FakeIdentity[],
  extra: SignedData[] = [],
): Promise<boolean> {
  const deserializer = new RegistryDeserializer(signers);
  const policy = policyOf(rule, deserializer);
  try {
    await policy.evaluateSignedData([...signers.map((s) => s.signed(MESSAGE)), ...extra]);
    return true;
  } catch (err) {
    assert.ok(err instanceof PolicyError, String(err));
    assert.equal(err.code, 'POLICY_NOT_SATISFIED');
    assert.equal(err.message, 'signature set did not satisfy policy');
    return false;
  }
}

void describe('signature policies: n-out-of', () => {
  const A = who('A', [0]);
  const B = who('B', [1]);
  const C = who('C', [2]);
  const AB = who('AB', [0, 1]);

  const table: { name: string; rule: Rule; signers: FakeIdentity[]; expected: boolean }[] = [
    { name: '1 of [P0] by A', rule: nOutOf(1, signedBy(0)), signers: [A], expected: true },
    { name: '1 of [P0] by B', rule: nOutOf(1, signedBy(0)), signers: [B], expected: false },
    { name: '1 of [P0] by nobody', rule: nOutOf(1, signedBy(0)), signers: [], expected: false },
    { name: 'bare signed_by 0 by A', rule: signedBy(0), signers: [A], expected: true },
    {
      name: '2 of [P0,P1] by A,B',
      rule: nOutOf(2, signedBy(0), signedBy(1)),
      signers: [A, B],
      expected: true,
    },
    {
      name: '2 of [P0,P1] by B,A',
      rule: nOutOf(2, signedBy(0), signedBy(1)),
      signers: [B, A],
      expected: true,
    },
    {
      name: '2 of [P0,P1] by A',
      rule: nOutOf(2, signedBy(0), signedBy(1)),
      signers: [A],
      expected: false,
    },
    {
      name: '2 of [P0,P1,P2] by A,C',
      rule: nOutOf(2, signedBy(0), signedBy(1), signedBy(2)),
      signers: [A, C],
      expected: true,
    },
    {
      name: '3 of [P0,P1,P2] by A,C',
      rule: nOutOf(3, signedBy(0), signedBy(1), signedBy(2)),
      signers: [A, C],
      expected: false,
    },
    {
      name: '0 of [P0] by nobody (n <= 0 always holds)',
      rule: nOutOf(0, signedBy(0)),
      signers: [],
      expected: true,
    },
    { name: '-1 of [] by nobody', rule: nOutOf(-1), signers: [], expected: true },
    { name: '1 of [] by A', rule: nOutOf(1), signers: [A], expected: false },
    {
      name: 'nested: 2 of [1 of [P0,P1], P2] by B,C',
      rule: nOutOf(2, nOutOf(1, signedBy(0), signedBy(1)), signedBy(2)),
      signers: [B, C],
      expected: true,
    },
    {
      name: 'nested: 2 of [2 of [P0,P1], P2] by A,B',
      rule: nOutOf(2, nOutOf(2, signedBy(0), signedBy(1)), signedBy(2)),
      signers: [A, B],
      expected: false,
    },
    {
      name: 'nested: 1 of [2 of [P0,P1], 2 of [P1,P2]] by B,C',
      rule: nOutOf(1, nOutOf(2, signedBy(0), signedBy(1)), nOutOf(2, signedBy(1), signedBy(2))),
      signers: [B, C],
      expected: true,
    },
    {
      name: 'one signer matching two principals counts once: 2 of [P0,P1] by AB',
      rule: nOutOf(2, signedBy(0), signedBy(1)),
      signers: [AB],
      expected: false,
    },
    {
      name: 'one signer matching two principals satisfies 1 of them',
      rule: nOutOf(1, signedBy(0), signedBy(1)),
      signers: [AB],
      expected: true,
    },
    {
      name: 'same principal twice needs two signers: 2 of [P0,P0] by A',
      rule: nOutOf(2, signedBy(0), signedBy(0)),
      signers: [A],
      expected: false,
    },
  ];
  for (const row of table) {
    void test(row.name, async () => {
      assert.equal(await holds(row.rule, row.signers), row.expected);
    });
  }
});

void describe('signature policies: one signer is counted once', () => {
  void test('duplicate signatures by one identity count once, and are verified once', async () => {
    const A = who('A', [0]);
    const deserializer = new RegistryDeserializer([A]);
    const policy = policyOf(nOutOf(2, signedBy(0), signedBy(0)), deserializer);
    const sd = A.signed(MESSAGE);
    await assert.rejects(policy.evaluateSignedData([sd, sd, sd]), /did not satisfy/);
    // Fabric de-duplicates before verifying: the repeats are never verified.
    assert.equal(A.verifyCalls, 1);
    assert.equal(deserializer.deserializeCalls, 3);
  });

  void test('two signers satisfy 2 of [P0,P0]', async () => {
    assert.equal(
      await holds(nOutOf(2, signedBy(0), signedBy(0)), [who('A', [0]), who('A2', [0])]),
      true,
    );
  });

  void test('a bad signature does not mark the identity seen: a later valid one is accepted', async () => {
    const X = who('X', [0]);
    const deserializer = new RegistryDeserializer([X]);
    const ids = await validIdentities([X.signed(MESSAGE, true), X.signed(MESSAGE)], deserializer);
    assert.deepEqual(
      ids.map((i) => i.identifier.id),
      [X.identifier.id],
    );
    assert.equal(X.verifyCalls, 2);
  });
});

void describe('signature policies: greedy evaluation, as Fabric', () => {
  // P0 = "member", P1 = "admin": X is both, Y is only a member.
  const X = who('X', [0, 1]);
  const Y = who('Y', [0]);
  const rule = nOutOf(2, signedBy(0), signedBy(1));

  void test('the order of the signatures decides: [X, Y] fails although X→P1, Y→P0 would succeed', async () => {
    // signed_by P0 takes the first unused identity that satisfies it (X); P1 then finds nobody.
    assert.equal(await holds(rule, [X, Y]), false);
  });

  void test('[Y, X] succeeds', async () => {
    assert.equal(await holds(rule, [Y, X]), true);
  });

  void test('identities come in the order of their accepted signature', async () => {
    // X's first signature is bad, so X is accepted at its second signature, after Y: [Y, X].
    const deserializer = new RegistryDeserializer([X, Y]);
    const policy = policyOf(rule, deserializer);
    await policy.evaluateSignedData([
      X.signed(MESSAGE, true),
      Y.signed(MESSAGE),
      X.signed(MESSAGE),
    ]);
    const ids = await validIdentities(
      [X.signed(MESSAGE, true), Y.signed(MESSAGE), X.signed(MESSAGE)],
      deserializer,
    );
    assert.deepEqual(
      ids.map((i) => i.identifier.id),
      [Y.identifier.id, X.identifier.id],
    );
  });

  void test('a satisfied sub-rule keeps every identity it consumed, even beyond its n', async () => {
    // outer 2 of [1 of [P0, P1], P1] with A (P0) and B (P1): the inner rule evaluates both of its
    // sub-rules and consumes A and B, so the outer P1 finds nobody. An optimal matcher would pass.
    const A = who('A', [0]);
    const B = who('B', [1]);
    assert.equal(
      await holds(nOutOf(2, nOutOf(1, signedBy(0), signedBy(1)), signedBy(1)), [A, B]),
      false,
    );
    // Written the other way round, the same signatures satisfy it.
    assert.equal(
      await holds(nOutOf(2, signedBy(1), nOutOf(1, signedBy(0), signedBy(1))), [A, B]),
      true,
    );
  });

  void test('a failed sub-rule gives back what it consumed', async () => {
    // outer 1 of [2 of [P0, P1], P0] with A (P0): the inner rule takes A, fails, and A is free for P0.
    const A = who('A', [0]);
    assert.equal(
      await holds(nOutOf(1, nOutOf(2, signedBy(0), signedBy(1)), signedBy(0)), [A]),
      true,
    );
  });
});

void describe('signature policies: what is skipped', () => {
  void test('invalid signatures are skipped', async () => {
    const A = who('A', [0]);
    const B = who('B', [0]);
    const deserializer = new RegistryDeserializer([A, B]);
    const policy = policyOf(nOutOf(1, signedBy(0)), deserializer);
    await assert.rejects(policy.evaluateSignedData([A.signed(MESSAGE, true)]), /did not satisfy/);
    await policy.evaluateSignedData([A.signed(MESSAGE, true), B.signed(MESSAGE)]);
    // a signature over other data does not verify either
    const other = { ...A.signed(MESSAGE), data: new Uint8Array([1, 2, 3]) };
    await assert.rejects(policy.evaluateSignedData([other]), /did not satisfy/);
  });

  void test('identities that refuse every signature are skipped', async () => {
    assert.equal(await holds(nOutOf(1, signedBy(0)), [who('A', [0], false)]), false);
  });

  void test('undeserializable identities are skipped', async () => {
    const B = who('B', [0]);
    const garbage: SignedData = {
      data: MESSAGE,
      identity: new Uint8Array([0xff, 0x01]),
      signature: new Uint8Array([1]),
    };
    assert.equal(await holds(nOutOf(1, signedBy(0)), [], [garbage]), false);
    assert.equal(await holds(nOutOf(1, signedBy(0)), [B], [garbage]), true);
  });

  void test('evaluateIdentities evaluates identities as given, duplicates included', () => {
    const A = who('A', [0]);
    const policy = policyOf(nOutOf(2, signedBy(0), signedBy(0)), new RegistryDeserializer());
    assert.throws(() => policy.evaluateIdentities([A]), /did not satisfy/);
    // evaluateIdentities does not de-duplicate (Fabric's callers do)
    policy.evaluateIdentities([A, A]);
  });
});

void describe('signature policies: compiling', () => {
  const deserializer = new RegistryDeserializer();
  const compileError = (rule: Rule | null, principals = PRINCIPALS.slice(0, 1)): PolicyError => {
    try {
      createSignaturePolicy({ version: 0, rule, identities: principals }, deserializer);
    } catch (err) {
      assert.ok(err instanceof PolicyError);
      assert.equal(err.code, 'POLICY_INVALID');
      return err;
    }
    assert.fail('compiled');
  };

  void test('signed_by out of range is a compile error', () => {
    assert.equal(
      compileError(nOutOf(1, signedBy(1))).message,
      'identity index out of range, requested 1, but identities length is 1',
    );
    assert.equal(
      compileError(signedBy(-1)).message,
      'identity index out of range, requested -1, but identities length is 1',
    );
    assert.match(
      compileError(nOutOf(1, nOutOf(1, signedBy(0), signedBy(7)))).message,
      /requested 7/,
    );
  });

  void test('empty rules', () => {
    assert.equal(compileError(null).message, 'Empty policy element');
    assert.equal(compileError(nOutOf(1, {})).message, 'Unknown type: <nil>:<nil>');
  });

  void test('from bytes: version must be 0; undecodable bytes are refused', () => {
    const bytes = (version: number) =>
      common.SignaturePolicyEnvelope.encode({
        version,
        rule: nOutOf(1, signedBy(0)),
        identities: PRINCIPALS.slice(0, 1),
      }).finish();
    assert.equal(signaturePolicyFromBytes(bytes(0), deserializer).kind, 'signature');
    assert.throws(
      () => signaturePolicyFromBytes(bytes(1), deserializer),
      /only understands messages of version 0, but version was 1/,
    );
    assert.throws(
      () => signaturePolicyFromBytes(new Uint8Array([0x12, 0xff]), deserializer),
      /Error unmarshalling to SignaturePolicy/,
    );
    // constructed directly (the ApplicationPolicy path) the version is not checked
    createSignaturePolicy(
      { version: 1, rule: signedBy(0), identities: PRINCIPALS.slice(0, 1) },
      deserializer,
    );
  });

  void test('decoded oneof: the last member on the wire wins, as in Go', async () => {
    // signed_by=0 then n_out_of{n:1,[signed_by 1]} on the wire: n_out_of is the rule
    const wire = Buffer.concat([
      common.SignaturePolicy.encode({ signedBy: 0 }).finish(),
      common.SignaturePolicy.encode({ nOutOf: { n: 1, rules: [signedBy(1)] } }).finish(),
    ]);
    const rule = common.SignaturePolicy.decode(wire);
    const B = who('B', [1]);
    const policy = createSignaturePolicy(
      { version: 0, rule, identities: PRINCIPALS },
      new RegistryDeserializer([B]),
    );
    await policy.evaluateSignedData([B.signed(MESSAGE)]);
  });
});
