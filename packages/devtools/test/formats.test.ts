// The small languages devtools reads as Fabric's Go tools do: signature and implicit-meta policy
// rules, Go durations, byte sizes, IP addresses in SANs; and low-S normalization.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { common } from '@fabric-peer/protos';
import { goIp } from '../src/cryptogen.js';
import { formatGoDuration, parseByteSize, parseGoDuration } from '../src/go-format.js';
import {
  implicitMetaFromString,
  PolicyParseError,
  signaturePolicyFromString,
} from '../src/policy-dsl.js';
import { toLowS } from '../src/x509.js';

/** The envelope as `msp id.role` identities and the rule tree, for reading. */
function readable(rule: string): { ids: string[]; rule: unknown } {
  const env = common.SignaturePolicyEnvelope.decode(
    common.SignaturePolicyEnvelope.encode(signaturePolicyFromString(rule)).finish(),
  );
  const ids = env.identities.map((i) => {
    assert.equal(i.principalClassification, common.MSPPrincipal.Classification.ROLE);
    const role = common.MSPRole.decode(i.principal ?? new Uint8Array());
    return `${role.mspIdentifier}.${common.MSPRole.MSPRoleType[role.role]}`;
  });
  type Rule = {
    signedBy?: number | null;
    nOutOf?: { n?: number | null; rules?: Rule[] | null } | null;
  };
  const tree = (p: Rule | null | undefined): unknown =>
    p?.nOutOf == null
      ? p?.signedBy
      : { n: p.nOutOf.n ?? 0, of: (p.nOutOf.rules ?? []).map((r) => tree(r)) };
  return { ids, rule: tree(env.rule) };
}

void describe('signature policy rules (Fabric policydsl)', () => {
  void it('numbers identities as Fabric does: nested gates first, no de-duplication', () => {
    // Fabric's TestComplex1 and TestComplex2.
    assert.deepEqual(readable("OR('A.member', AND('B.member', 'C.member'))"), {
      ids: ['B.MEMBER', 'C.MEMBER', 'A.MEMBER'],
      rule: { n: 1, of: [2, { n: 2, of: [0, 1] }] },
    });
    assert.deepEqual(readable("OR(AND('A.member', 'B.member'), OR('C.admin', 'D.member'))"), {
      ids: ['A.MEMBER', 'B.MEMBER', 'C.ADMIN', 'D.MEMBER'],
      rule: {
        n: 1,
        of: [
          { n: 2, of: [0, 1] },
          { n: 1, of: [2, 3] },
        ],
      },
    });
    assert.deepEqual(readable("and('A.peer', 'A.peer')"), {
      ids: ['A.PEER', 'A.PEER'],
      rule: { n: 2, of: [0, 1] },
    });
  });

  void it('reads OutOf with a number or a quoted number, every role, and MSP ids with dots and dashes', () => {
    assert.deepEqual(readable("OutOf(2, 'A.client', 'B.orderer', 'C.peer')").rule, {
      n: 2,
      of: [0, 1, 2],
    });
    assert.deepEqual(readable("OutOf('1', 'A.member', 'B.member')").rule, { n: 1, of: [0, 1] });
    assert.deepEqual(readable('OR("MSP.WITH.DOTS.admin", "MSP-WITH-DASHES.member")').ids, [
      'MSP.WITH.DOTS.ADMIN',
      'MSP-WITH-DASHES.MEMBER',
    ]);
  });

  void it('writes signed_by 0 and version 0 as Go does (signed_by present, version absent)', () => {
    const bytes = common.SignaturePolicyEnvelope.encode(
      signaturePolicyFromString("OR('Org1MSP.admin')"),
    ).finish();
    // rule{ n_out_of{ n: 1, rules: [{ signed_by: 0 }] } }, identities[{ principal: MSPRole{
    // "Org1MSP", ADMIN } }]: what configtxgen wrote for the corpus's Org1MSP Admins policy.
    assert.equal(
      Buffer.from(bytes).toString('hex'),
      '120812060801120208001a0d120b0a074f7267314d53501001',
    );
    const decoded = common.SignaturePolicyEnvelope.decode(bytes);
    assert.equal(decoded.version, 0);
    assert.equal(decoded.rule?.nOutOf?.rules?.[0]?.Type, 'signedBy');
    assert.equal(decoded.rule?.nOutOf?.rules?.[0]?.signedBy, 0);
  });

  void it('rejects what Fabric rejects, saying where', () => {
    for (const [rule, message] of [
      ["OR('A.boss')", /invalid principal "A\.boss"/],
      ["OR('A_B.member')", /invalid principal "A_B\.member"/],
      ["NOR('A.member')", /unknown gate NOR/],
      ["OR('A.member'", /expected "\)"/],
      ["OutOf(3, 'A.member')", /OutOf\(3, \.\.\.\) has only 1 sub-policies/],
      ["OR('A.member') junk", /unexpected "junk"/],
      ['', /expected a gate/],
    ] as const) {
      assert.throws(
        () => signaturePolicyFromString(rule),
        (err: unknown) => {
          assert.ok(err instanceof PolicyParseError);
          assert.match(err.message, message);
          return true;
        },
        rule,
      );
    }
    // Fabric's own bound lets t reach n + 1.
    assert.doesNotThrow(() => signaturePolicyFromString("OutOf(2, 'A.member')"));
  });

  void it('reads implicit meta rules exactly: one space, upper-case rule', () => {
    assert.deepEqual(implicitMetaFromString('MAJORITY Admins'), {
      subPolicy: 'Admins',
      rule: common.ImplicitMetaPolicy.Rule.MAJORITY,
    });
    assert.deepEqual(implicitMetaFromString('ANY Readers'), {
      subPolicy: 'Readers',
      rule: common.ImplicitMetaPolicy.Rule.ANY,
    });
    assert.throws(() => implicitMetaFromString('any Readers'), /unknown rule type 'any'/);
    assert.throws(
      () => implicitMetaFromString('ANY  Readers'),
      /expected two space separated tokens, but got 3/,
    );
  });
});

void describe('Go durations and byte sizes', () => {
  void it('formats as time.Duration.String()', () => {
    const cases: [string, string][] = [
      ['250ms', '250ms'],
      ['2s', '2s'],
      ['90s', '1m30s'],
      ['1h', '1h0m0s'],
      ['1500ms', '1.5s'],
      ['0.5ms', '500µs'],
      ['100us', '100µs'],
      ['1.25µs', '1.25µs'],
      ['7ns', '7ns'],
      ['1h2m3.004s', '1h2m3.004s'],
      ['-2s', '-2s'],
      ['0', '0s'],
    ];
    for (const [input, output] of cases) {
      const ns = parseGoDuration(input);
      assert.ok(ns !== undefined, input);
      assert.equal(formatGoDuration(ns), output, input);
    }
  });

  void it('rejects what time.ParseDuration rejects', () => {
    for (const bad of [
      '',
      '2',
      's',
      '2 s',
      '2sec',
      '1.2.3s',
      '.s',
      'soon',
      '9999999999999999999h',
    ]) {
      assert.equal(parseGoDuration(bad), undefined, bad);
    }
  });

  void it('reads byte sizes as Fabric’s configuration does', () => {
    assert.equal(parseByteSize('10 MB'), 10 * 1024 * 1024);
    assert.equal(parseByteSize('2MB'), 2 * 1024 * 1024);
    assert.equal(parseByteSize('512 kb'), 512 * 1024);
    assert.equal(parseByteSize('1G'), 1024 ** 3);
    assert.equal(parseByteSize('98304'), 98304);
    assert.equal(parseByteSize(1000), 1000);
    for (const bad of ['10 TB', 'ten', '1.5 MB', -1, 1.5, true])
      assert.equal(parseByteSize(bad), undefined, String(bad));
  });
});

void describe('certificate details', () => {
  void it('writes IPv4-mapped IPv6 addresses as IPv4, as Go does', () => {
    assert.equal(goIp('127.0.0.1'), '127.0.0.1');
    assert.equal(goIp('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(goIp('::FFFF:7f00:1'), '127.0.0.1');
    assert.equal(goIp('::1'), '::1');
    assert.equal(goIp('2001:db8::ffff:1:2'), '2001:db8::ffff:1:2');
  });

  void it('turns a high S into n − S and leaves a low S alone', () => {
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    const sig = (r: bigint, s: bigint): Uint8Array =>
      Uint8Array.from(
        Buffer.from(r.toString(16).padStart(64, '0') + s.toString(16).padStart(64, '0'), 'hex'),
      );
    const high = sig(12345n, n - 7n);
    assert.deepEqual(toLowS(high), sig(12345n, 7n));
    const low = sig(99n, n / 2n);
    assert.deepEqual(toLowS(low), low);
  });
});
