/**
 * The policy manager (Fabric's policies.ManagerImpl): one manager per config group, each holding the
 * policies of its group and, under `Child/Name`, those of every group below it.
 */
import type { Identity, IdentityDeserializer, Logger, SignedData } from '@fabric-peer/api';
import { common } from '@fabric-peer/protos';

import { PolicyError, messageOf } from './errors.js';
import { ImplicitMetaPolicy, decodeImplicitMeta } from './implicit-meta.js';
import {
  RejectPolicy,
  type Policy,
  type PolicyKind,
  type PolicyNode,
  type ResolvedPolicy,
  type SignatureSet,
} from './policy.js';
import { signaturePolicyFromBytes } from './signature-policy.js';
import { sortedKeys } from './util.js';

/** The name of the root group, and the first element of every absolute policy path. */
export const ROOT_GROUP = 'Channel';

/** Well-known absolute policy paths (Fabric's policies constants). */
export const PolicyPaths = {
  ChannelReaders: '/Channel/Readers',
  ChannelWriters: '/Channel/Writers',
  ChannelAdmins: '/Channel/Admins',
  ApplicationReaders: '/Channel/Application/Readers',
  ApplicationWriters: '/Channel/Application/Writers',
  ApplicationAdmins: '/Channel/Application/Admins',
  ApplicationEndorsement: '/Channel/Application/Endorsement',
  ApplicationLifecycleEndorsement: '/Channel/Application/LifecycleEndorsement',
  OrdererReaders: '/Channel/Orderer/Readers',
  OrdererWriters: '/Channel/Orderer/Writers',
  OrdererAdmins: '/Channel/Orderer/Admins',
  BlockValidation: '/Channel/Orderer/BlockValidation',
} as const;

/**
 * A read-only tree of policies (Fabric's policies.Manager), for one config group.
 *
 * Lookups follow Fabric's GetPolicy exactly: a name starting with `/` is absolute and must start
 * with `/<this manager's path>`; the rest (after one more character) is looked up relative to this
 * manager; anything else is relative. Relative names may reach into sub-groups (`Org1MSP/Admins`).
 */
export interface PolicyManager {
  /** Path of this manager's group, without a leading slash: `Channel`, `Channel/Application`. */
  readonly path: string;
  /** The policy, or undefined when there is none by that name (Fabric returns its reject policy). */
  getPolicy(id: string): ResolvedPolicy | undefined;
  /** The policy, or Fabric's reject policy (which fails every evaluation) when there is none. */
  policyOrReject(id: string): Policy;
  /**
   * The policy, or a `POLICY_NOT_FOUND` {@link PolicyError} that names the absolute path looked for
   * and the manager it was looked up in.
   */
  requirePolicy(id: string): ResolvedPolicy;
  /** The manager of a sub-group (`['Application', 'Org1MSP']`); `[]` is this manager. */
  manager(path: readonly string[]): PolicyManager | undefined;
  /** Names of the sub-groups' managers. */
  readonly children: readonly string[];
  /** Every policy reachable from this manager, by relative name (`Admins`, `Org1MSP/Admins`). */
  readonly policies: ReadonlyMap<string, Policy>;
}

/** What a manager needs to compile policies. */
export interface PolicyManagerOptions {
  /** The deserializer of signature policies (the channel's MSP manager). */
  readonly deserializer: IdentityDeserializer;
  readonly logger?: Logger;
}

/** A config group as the manager reads it: its policies and its sub-groups. */
export interface PolicyGroup {
  readonly policies: ReadonlyMap<string, { readonly policy: PolicyDefinition | null }>;
  readonly groups: ReadonlyMap<string, PolicyGroup>;
}

/** A `common.Policy`: its type and its serialized value. */
export interface PolicyDefinition {
  readonly type: number;
  readonly value: Uint8Array;
}

class ResolvedPolicyImpl implements ResolvedPolicy {
  readonly kind: PolicyKind;

  constructor(
    readonly path: string,
    readonly policy: PolicyNode,
  ) {
    this.kind = policy.kind;
  }

  evaluateSignedData(signatures: readonly SignedData[]): Promise<void> {
    return this.policy.evaluateSignedData(signatures);
  }

  evaluateSet(set: SignatureSet): Promise<void> {
    return this.policy.evaluateSet(set);
  }

  evaluateIdentities(identities: readonly Identity[]): void {
    this.policy.evaluateIdentities(identities);
  }
}

class PolicyManagerImpl implements PolicyManager {
  readonly children: readonly string[];

  constructor(
    readonly path: string,
    readonly policies: ReadonlyMap<string, PolicyNode>,
    private readonly managers: ReadonlyMap<string, PolicyManagerImpl>,
  ) {
    this.children = [...managers.keys()];
  }

  private relativeName(id: string): string | undefined {
    if (id === '') return undefined;
    if (!id.startsWith('/')) return id;
    if (!id.startsWith('/' + this.path)) return undefined;
    // Fabric strips "/<path>" and one more byte, whatever it is.
    const bytes = Buffer.from(id, 'utf8');
    const skip = 1 + Buffer.byteLength(this.path, 'utf8') + 1;
    if (skip > bytes.length) return undefined; // Go would panic here (slice out of range)
    return bytes.subarray(skip).toString('utf8');
  }

  getPolicy(id: string): ResolvedPolicy | undefined {
    const rel = this.relativeName(id);
    if (rel === undefined) return undefined;
    const policy = this.policies.get(rel);
    if (policy === undefined) return undefined;
    return new ResolvedPolicyImpl(`/${this.path}/${rel}`, policy);
  }

  policyOrReject(id: string): PolicyNode {
    const found = this.getPolicy(id);
    if (found !== undefined) return found as ResolvedPolicyImpl;
    // Fabric names the reject policy by the full id when the absolute prefix does not match, by the
    // relative name otherwise.
    const rel = this.relativeName(id);
    return new RejectPolicy(rel ?? id);
  }

  requirePolicy(id: string): ResolvedPolicy {
    const found = this.getPolicy(id);
    if (found !== undefined) return found;
    const rel = this.relativeName(id);
    const looked = id.startsWith('/') ? id : `/${this.path}/${id}`;
    const why =
      id === ''
        ? 'no policy name given'
        : rel === undefined
          ? `an absolute path must start with /${this.path}/`
          : `no policy '${rel}' under /${this.path}`;
    throw new PolicyError('POLICY_NOT_FOUND', `policy ${looked} not found: ${why}`, {
      details: { policy: looked, manager: `/${this.path}` },
    });
  }

  manager(path: readonly string[]): PolicyManager | undefined {
    if (path.length === 0) return this;
    const child = this.managers.get(path[0] as string);
    return child?.manager(path.slice(1));
  }
}

/**
 * Builds the manager tree of `group`, as Fabric's NewManagerImpl: children first (depth first), then
 * the group's own policies (`SIGNATURE` compiled against `options.deserializer`, `IMPLICIT_META`
 * over the children's managers; any other type is an error), then the children's policies under
 * `Child/Name`. Throws a `POLICY_INVALID` {@link PolicyError} with Fabric's message.
 */
export function buildPolicyManager(
  group: PolicyGroup,
  options: PolicyManagerOptions,
  path: string = ROOT_GROUP,
): PolicyManager {
  return build(path, group, options);
}

function build(path: string, group: PolicyGroup, options: PolicyManagerOptions): PolicyManagerImpl {
  const managers = new Map<string, PolicyManagerImpl>();
  for (const name of sortedKeys(group.groups.keys())) {
    managers.set(name, build(`${path}/${name}`, group.groups.get(name) as PolicyGroup, options));
  }

  const policies = new Map<string, PolicyNode>();
  for (const name of sortedKeys(group.policies.keys())) {
    const definition = group.policies.get(name)?.policy ?? null;
    if (definition === null) {
      throw new PolicyError('POLICY_INVALID', `policy ${name} at path ${path} was nil`);
    }
    if (definition.type === (common.Policy.PolicyType.IMPLICIT_META as number)) {
      let meta: ReturnType<typeof decodeImplicitMeta>;
      try {
        meta = decodeImplicitMeta(definition.value);
      } catch (err) {
        throw new PolicyError(
          'POLICY_INVALID',
          `implicit policy ${name} at path ${path} did not compile: ${messageOf(err)}`,
          { cause: err },
        );
      }
      const subPolicies = [...managers.values()].map((m) => m.policyOrReject(meta.subPolicy));
      policies.set(
        name,
        new ImplicitMetaPolicy(meta.rule, meta.subPolicy, subPolicies, options.logger),
      );
    } else if (definition.type === (common.Policy.PolicyType.SIGNATURE as number)) {
      try {
        policies.set(
          name,
          signaturePolicyFromBytes(definition.value, options.deserializer, {
            logger: options.logger,
          }),
        );
      } catch (err) {
        throw new PolicyError(
          'POLICY_INVALID',
          `policy ${name} at path ${path} did not compile: ${messageOf(err)}`,
          { cause: err },
        );
      }
    } else {
      throw new PolicyError(
        'POLICY_INVALID',
        `policy ${name} at path ${path} has unknown policy type: ${definition.type}`,
      );
    }
  }

  for (const [groupName, manager] of managers) {
    for (const [policyName, policy] of manager.policies) {
      policies.set(`${groupName}/${policyName}`, policy);
    }
  }
  return new PolicyManagerImpl(path, policies, managers);
}
