/**
 * Which organizations must endorse: the layouts (minimal sets of endorsements per organization)
 * that satisfy an endorsement policy, as Fabric's discovery derives them from principal sets.
 *
 * - A signature policy: `SignedBy(i)` needs one endorsement from the organization of principal i;
 *   `n out of` needs n of its rules, and endorsements add up across them (one identity satisfies
 *   one `SignedBy` only, as in Fabric's evaluation).
 * - An ImplicitMeta policy (through a channel config policy reference such as
 *   `/Channel/Application/Endorsement`): ANY / ALL / MAJORITY of the sub-policy in each child group;
 *   each sub-policy is evaluated over all endorsements, so requirements merge by maximum.
 * - Several policies that must all hold (the chaincode's, chaincodes it called, key-level
 *   policies): every combination of their layouts, merged by maximum.
 *
 * Peers are not known by identity here, only by organization, so a principal stands for its
 * organization whatever its role or OU; a role a peer cannot hold (admin, client) shows up at
 * validation, as with a client that names its own endorsing organizations.
 */
import type { TreeGroup } from '@fabric-peer/policies';
import { ROOT_GROUP, type ChannelConfigBundle } from '@fabric-peer/policies';
import { common, msp, type protos } from '@fabric-peer/protos';
import type { OrgLayout } from './plan.js';

/** Above this many alternatives the computation stops (policies this large are not practical). */
const MAX_LAYOUTS = 4096;

export class PolicyLayoutError extends Error {}

function key(layout: OrgLayout): string {
  return [...layout]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([org, n]) => `${org}=${n}`)
    .join(',');
}

function covers(small: OrgLayout, big: OrgLayout): boolean {
  for (const [org, n] of small) if ((big.get(org) ?? 0) < n) return false;
  return true;
}

/** Removes duplicates and any layout that needs more than another one. */
export function minimize(layouts: readonly OrgLayout[]): OrgLayout[] {
  const unique = new Map<string, OrgLayout>();
  for (const l of layouts) unique.set(key(l), l);
  const list = [...unique.values()].sort((a, b) => total(a) - total(b) || a.size - b.size);
  const kept: OrgLayout[] = [];
  for (const l of list) if (!kept.some((k) => covers(k, l))) kept.push(l);
  return kept;
}

/** The number of endorsements a layout needs. */
export function total(layout: OrgLayout): number {
  let sum = 0;
  for (const n of layout.values()) sum += n;
  return sum;
}

function merge(a: OrgLayout, b: OrgLayout, how: 'sum' | 'max'): OrgLayout {
  const out = new Map(a);
  for (const [org, n] of b) {
    const have = out.get(org) ?? 0;
    out.set(org, how === 'sum' ? have + n : Math.max(have, n));
  }
  return out;
}

/** Every way of meeting all of `parts` at once (each part a list of alternatives). */
function product(parts: readonly (readonly OrgLayout[])[], how: 'sum' | 'max'): OrgLayout[] {
  let acc: OrgLayout[] = [new Map()];
  for (const alternatives of parts) {
    const next: OrgLayout[] = [];
    for (const a of acc) {
      for (const b of alternatives) {
        next.push(merge(a, b, how));
        if (next.length > MAX_LAYOUTS) {
          throw new PolicyLayoutError('the endorsement policy has too many alternatives');
        }
      }
    }
    acc = minimize(next);
  }
  return acc;
}

/** Every way of meeting `n` of `parts`. */
function nOutOf(
  n: number,
  parts: readonly (readonly OrgLayout[])[],
  how: 'sum' | 'max',
): OrgLayout[] {
  if (n <= 0) return [new Map()];
  if (n > parts.length) return [];
  const out: OrgLayout[] = [];
  const choose = (start: number, picked: (readonly OrgLayout[])[]): void => {
    if (picked.length === n) {
      out.push(...product(picked, how));
      if (out.length > MAX_LAYOUTS) {
        throw new PolicyLayoutError('the endorsement policy has too many alternatives');
      }
      return;
    }
    for (let i = start; i <= parts.length - (n - picked.length); i++) {
      choose(i + 1, [...picked, parts[i] ?? []]);
    }
  };
  choose(0, []);
  return minimize(out);
}

/** The organization a principal belongs to, or undefined when none can be told. */
function principalOrg(principal: common.MSPPrincipal.$Properties): string | undefined {
  const bytes = principal.principal ?? new Uint8Array(0);
  const C = common.MSPPrincipal.Classification;
  try {
    switch (principal.principalClassification ?? C.ROLE) {
      case C.ROLE:
        return common.MSPRole.decode(bytes).mspIdentifier || undefined;
      case C.ORGANIZATION_UNIT:
        return common.OrganizationUnit.decode(bytes).mspIdentifier || undefined;
      case C.IDENTITY:
        return msp.SerializedIdentity.decode(bytes).mspid || undefined;
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** The layouts of a signature policy; an empty list when no peer endorsements can satisfy it. */
export function signaturePolicyLayouts(
  envelope: common.SignaturePolicyEnvelope.$Properties,
): OrgLayout[] {
  const orgs = (envelope.identities ?? []).map(principalOrg);
  const walk = (rule: common.SignaturePolicy.$Properties, depth: number): OrgLayout[] => {
    if (depth > 64) throw new PolicyLayoutError('the signature policy is nested too deeply');
    if (rule.signedBy !== null && rule.signedBy !== undefined) {
      const org = orgs[rule.signedBy];
      return org === undefined ? [] : [new Map([[org, 1]])];
    }
    if (rule.nOutOf !== null && rule.nOutOf !== undefined) {
      const parts = (rule.nOutOf.rules ?? []).map((r) => walk(r, depth + 1));
      return nOutOf(rule.nOutOf.n ?? 0, parts, 'sum');
    }
    throw new PolicyLayoutError(
      'the signature policy has a rule that is neither SignedBy nor NOutOf',
    );
  };
  if (envelope.rule === null || envelope.rule === undefined) {
    throw new PolicyLayoutError('the signature policy has no rule');
  }
  return minimize(walk(envelope.rule, 0));
}

/** The group at `path` (e.g. ['Application']) below the channel group. */
function groupAt(root: TreeGroup, path: readonly string[]): TreeGroup | undefined {
  let group: TreeGroup | undefined = root;
  for (const name of path) group = group?.groups.get(name);
  return group;
}

function configPolicyLayouts(
  root: TreeGroup,
  groupPath: readonly string[],
  name: string,
  depth: number,
): OrgLayout[] {
  const absolute = `/${[ROOT_GROUP, ...groupPath, name].join('/')}`;
  if (depth > 16) throw new PolicyLayoutError(`policy ${absolute} is nested too deeply`);
  const group = groupAt(root, groupPath);
  const policy = group?.policies.get(name)?.policy;
  if (group === undefined || policy === null || policy === undefined) {
    throw new PolicyLayoutError(`policy ${absolute} not found`);
  }
  const T = common.Policy.PolicyType;
  switch (policy.type) {
    case T.SIGNATURE as number:
      return signaturePolicyLayouts(common.SignaturePolicyEnvelope.decode(policy.value));
    case T.IMPLICIT_META as number: {
      const meta = common.ImplicitMetaPolicy.decode(policy.value);
      const children = [...group.groups.keys()].sort();
      const parts = children.map((child) => {
        const sub = group.groups.get(child)?.policies.get(meta.subPolicy)?.policy;
        // A child without the sub-policy counts as Fabric's reject policy: never satisfied.
        if (sub === null || sub === undefined) return [];
        return configPolicyLayouts(root, [...groupPath, child], meta.subPolicy, depth + 1);
      });
      const R = common.ImplicitMetaPolicy.Rule;
      const n =
        parts.length === 0
          ? 0
          : meta.rule === R.ANY
            ? 1
            : meta.rule === R.ALL
              ? parts.length
              : meta.rule === R.MAJORITY
                ? Math.floor(parts.length / 2) + 1
                : 0;
      return nOutOf(n, parts, 'max');
    }
    default:
      throw new PolicyLayoutError(`policy ${absolute} has unsupported type ${policy.type}`);
  }
}

/**
 * The layouts of a channel config policy reference: an absolute path (`/Channel/Application/X`)
 * or, as Fabric's channel policy manager resolves it, a path relative to the channel group
 * (`Application/X`).
 */
export function channelPolicyLayouts(bundle: ChannelConfigBundle, reference: string): OrgLayout[] {
  const parts = reference.startsWith('/')
    ? reference.slice(1).split('/')
    : [ROOT_GROUP, ...reference.split('/')];
  if (parts[0] !== ROOT_GROUP || parts.length < 2) {
    throw new PolicyLayoutError(`policy ${reference} is not in the channel's configuration`);
  }
  const name = parts[parts.length - 1] ?? '';
  return configPolicyLayouts(bundle.channelGroup, parts.slice(1, -1), name, 0);
}

/** The layouts of a chaincode's ApplicationPolicy. */
export function applicationPolicyLayouts(
  bundle: ChannelConfigBundle,
  policy: protos.ApplicationPolicy.$Properties,
): OrgLayout[] {
  if (policy.signaturePolicy !== null && policy.signaturePolicy !== undefined) {
    return signaturePolicyLayouts(policy.signaturePolicy);
  }
  const reference = policy.channelConfigPolicyReference;
  if (reference !== null && reference !== undefined && reference !== '') {
    return channelPolicyLayouts(bundle, reference);
  }
  throw new PolicyLayoutError(
    'the application policy is neither a signature policy nor a reference',
  );
}

/** The layouts that satisfy every one of `requirements` at once. */
export function combineRequirements(requirements: readonly (readonly OrgLayout[])[]): OrgLayout[] {
  return product(requirements, 'max');
}
