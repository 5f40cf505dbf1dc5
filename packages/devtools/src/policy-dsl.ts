/**
 * Fabric's policy languages, as configtxgen reads them:
 * - signature policies: `OR('Org1MSP.admin', AND('Org2MSP.peer', 'Org3MSP.peer'))`,
 *   `OutOf(2, 'A.member', 'B.member', 'C.member')` (gates AND/And/and, OR/Or/or, OutOf/outof/OUTOF;
 *   principals `'<MSP id>.<admin|member|client|peer|orderer>'`);
 * - implicit meta policies: `<ANY|ALL|MAJORITY> <sub-policy name>`.
 *
 * The envelopes are built exactly as Fabric's policydsl builds them, including its numbering of
 * identities: one identity per principal occurrence (no de-duplication), nested gates numbered
 * before the principals written directly in the enclosing gate.
 */
import { common } from '@fabric-peer/protos';

/** A parse failure; the caller adds the file and field. */
export class PolicyParseError extends Error {}

type Arg = { kind: 'principal'; text: string } | { kind: 'gate'; gate: Gate };
interface Gate {
  readonly n: number;
  readonly args: readonly Arg[];
}

const ROLES: Readonly<Record<string, common.MSPRole.MSPRoleType>> = {
  member: common.MSPRole.MSPRoleType.MEMBER,
  admin: common.MSPRole.MSPRoleType.ADMIN,
  client: common.MSPRole.MSPRoleType.CLIENT,
  peer: common.MSPRole.MSPRoleType.PEER,
  orderer: common.MSPRole.MSPRoleType.ORDERER,
};

const PRINCIPAL = /^([A-Za-z0-9.-]+)\.(admin|member|client|peer|orderer)$/;
const GATES: Readonly<Record<string, 'and' | 'or' | 'outof'>> = {
  AND: 'and',
  And: 'and',
  and: 'and',
  OR: 'or',
  Or: 'or',
  or: 'or',
  OutOf: 'outof',
  outof: 'outof',
  OUTOF: 'outof',
};

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): Gate {
    const gate = this.gate();
    this.space();
    if (this.pos !== this.text.length) this.error(`unexpected ${JSON.stringify(this.rest())}`);
    return gate;
  }

  private rest(): string {
    return this.text.slice(this.pos, this.pos + 12);
  }

  private error(problem: string): never {
    throw new PolicyParseError(`${problem} at position ${this.pos + 1}`);
  }

  private space(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  private expect(ch: string): void {
    this.space();
    if (this.text[this.pos] !== ch) this.error(`expected "${ch}"`);
    this.pos++;
  }

  private gate(): Gate {
    this.space();
    const m = /^[A-Za-z]+/.exec(this.text.slice(this.pos));
    const name = m?.[0] ?? '';
    const kind = GATES[name];
    if (kind === undefined) {
      this.error(
        name === ''
          ? `expected a gate (AND, OR, OutOf), got ${JSON.stringify(this.rest())}`
          : `unknown gate ${name} (expected AND, OR or OutOf)`,
      );
    }
    this.pos += name.length;
    this.expect('(');
    let n: number | undefined;
    if (kind === 'outof') {
      this.space();
      // A number, or (as Fabric also accepts) a quoted number.
      const num = /^(?:(\d+)|'(\d+)'|"(\d+)")/.exec(this.text.slice(this.pos));
      if (num === null) this.error('OutOf takes a number first');
      n = Number(num[1] ?? num[2] ?? num[3]);
      this.pos += num[0].length;
      this.expect(',');
    }
    const args: Arg[] = [this.arg()];
    for (;;) {
      this.space();
      if (this.text[this.pos] === ',') {
        this.pos++;
        args.push(this.arg());
        continue;
      }
      this.expect(')');
      break;
    }
    if (kind === 'and') n = args.length;
    if (kind === 'or') n = 1;
    const count = n ?? 0;
    // Fabric's own bound: t may reach n + 1 (a policy that can never be met) but no further.
    if (count > args.length + 1) {
      this.error(`OutOf(${count}, ...) has only ${args.length} sub-policies`);
    }
    return { n: count, args };
  }

  private arg(): Arg {
    this.space();
    const q = this.text[this.pos];
    if (q === "'" || q === '"') {
      const end = this.text.indexOf(q, this.pos + 1);
      if (end < 0) this.error('unterminated string');
      const text = this.text.slice(this.pos + 1, end);
      if (!PRINCIPAL.test(text)) {
        this.error(
          `invalid principal ${JSON.stringify(text)} (expected '<MSP id>.<admin|member|client|peer|orderer>')`,
        );
      }
      this.pos = end + 1;
      return { kind: 'principal', text };
    }
    return { kind: 'gate', gate: this.gate() };
  }
}

/** Parses a signature policy into the envelope Fabric's `policydsl.FromString` builds. */
export function signaturePolicyFromString(
  rule: string,
): common.SignaturePolicyEnvelope.$Properties {
  const top = new Parser(rule).parse();
  const identities: common.MSPPrincipal.$Properties[] = [];
  const build = (gate: Gate): common.SignaturePolicy.$Properties => {
    // Nested gates first (as Fabric evaluates a gate's arguments before the gate itself)...
    const nested = new Map<Arg, common.SignaturePolicy.$Properties>();
    for (const arg of gate.args) if (arg.kind === 'gate') nested.set(arg, build(arg.gate));
    // ...then the principals written directly in this gate, in order.
    const rules = gate.args.map((arg) => {
      if (arg.kind === 'gate') return nested.get(arg) ?? {};
      const m = PRINCIPAL.exec(arg.text);
      const role = ROLES[m?.[2] ?? ''] ?? common.MSPRole.MSPRoleType.MEMBER;
      identities.push({
        principalClassification: common.MSPPrincipal.Classification.ROLE,
        principal: common.MSPRole.encode({ mspIdentifier: m?.[1] ?? '', role }).finish(),
      });
      return { signedBy: identities.length - 1 };
    });
    return { nOutOf: { n: gate.n, rules } };
  };
  const ruleTree = build(top);
  return { version: 0, rule: ruleTree, identities };
}

/** Parses `<ANY|ALL|MAJORITY> <SubPolicy>` as Fabric's `ImplicitMetaFromString`. */
export function implicitMetaFromString(rule: string): common.ImplicitMetaPolicy.$Properties {
  const parts = rule.split(' ');
  if (parts.length !== 2) {
    throw new PolicyParseError(`expected two space separated tokens, but got ${parts.length}`);
  }
  const [kind = '', subPolicy = ''] = parts;
  const rules: Readonly<Record<string, common.ImplicitMetaPolicy.Rule>> = {
    ANY: common.ImplicitMetaPolicy.Rule.ANY,
    ALL: common.ImplicitMetaPolicy.Rule.ALL,
    MAJORITY: common.ImplicitMetaPolicy.Rule.MAJORITY,
  };
  const r = rules[kind];
  if (r === undefined) {
    throw new PolicyParseError(`unknown rule type '${kind}', expected ALL, ANY, or MAJORITY`);
  }
  return { subPolicy, rule: r };
}
