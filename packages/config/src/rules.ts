/**
 * Checks that span several keys, and the defaults computed from other keys. They run on the merged
 * values (file, then environment), before paths are resolved.
 */

import type { ConfigIssue } from '@fabric-peer/api';

import { builtins } from './builtins.js';
import { joinHostPort, splitHostPort } from './formats.js';
import { closest } from './suggest.js';

/** Access to the merged values for the rules. */
export interface RuleContext {
  get(path: string): unknown;
  set(path: string, value: unknown): void;
  /** Where the key's value came from (file:line or variable name), or undefined for a default. */
  where(path: string): string | undefined;
  /** Whether the key's own value was refused (a rule on it would only add noise). */
  broken(path: string): boolean;
}

/** Port Fabric gives the chaincode listener when `peer.chaincodeListenAddress` is not set. */
export const DEFAULT_CHAINCODE_PORT = 7052;

function withSource(issue: ConfigIssue, source: string | undefined): ConfigIssue {
  return source === undefined ? issue : { ...issue, source };
}

/** Applies the cross-key rules; returns the problems found. */
export function applyRules(ctx: RuleContext): ConfigIssue[] {
  return [...stateDatabase(ctx), ...leaderElection(ctx), ...deriveChaincodeAddresses(ctx)];
}

/**
 * Without `ledger.state.library`, the state database must be a built-in one; its name is matched
 * without regard to case and stored in Fabric's spelling (`couchdb` → `CouchDB`).
 */
function stateDatabase(ctx: RuleContext): ConfigIssue[] {
  const key = 'ledger.state.stateDatabase';
  const name = ctx.get(key);
  if (ctx.broken(key) || ctx.broken('ledger.state.library')) return [];
  if (typeof name !== 'string' || ctx.get('ledger.state.library') !== null) return [];
  const builtin = builtins.stateDatabases.find((n) => n.toLowerCase() === name.toLowerCase());
  if (builtin !== undefined) {
    ctx.set(key, builtin);
    return [];
  }
  const near = closest(name, builtins.stateDatabases);
  const hint = near !== undefined ? `; did you mean ${near}?` : '';
  return [
    withSource(
      {
        key,
        value: name,
        problem: `not a built-in state database, and ledger.state.library is not set${hint}`,
        allowed: `${builtins.stateDatabases.join(' or ')} (any case), or any name together with ledger.state.library naming the plugin package that provides it`,
      },
      ctx.where(key),
    ),
  ];
}

/** Fabric panics when a peer is both a static leader and running leader election. */
function leaderElection(ctx: RuleContext): ConfigIssue[] {
  if (ctx.broken('peer.gossip.useLeaderElection') || ctx.broken('peer.gossip.orgLeader')) return [];
  if (ctx.get('peer.gossip.useLeaderElection') !== true) return [];
  if (ctx.get('peer.gossip.orgLeader') !== true) return [];
  return [
    withSource(
      {
        key: 'peer.gossip.orgLeader',
        value: true,
        problem:
          'cannot be true together with peer.gossip.useLeaderElection (Fabric refuses to start)',
        allowed:
          'at most one of peer.gossip.orgLeader and peer.gossip.useLeaderElection set to true',
      },
      ctx.where('peer.gossip.orgLeader') ?? ctx.where('peer.gossip.useLeaderElection'),
    ),
  ];
}

/**
 * `peer.chaincodeListenAddress` defaults to the host of `peer.address` with port 7052, and
 * `peer.chaincodeAddress` to `peer.chaincodeListenAddress`, as Fabric's start-up computes them.
 */
function deriveChaincodeAddresses(ctx: RuleContext): ConfigIssue[] {
  if (ctx.get('peer.chaincodeListenAddress') === null) {
    const listen = ctx.get('peer.address');
    const parts = typeof listen === 'string' ? splitHostPort(listen) : undefined;
    if (parts !== undefined && !('reason' in parts)) {
      ctx.set('peer.chaincodeListenAddress', joinHostPort(parts.host, DEFAULT_CHAINCODE_PORT));
    }
  }
  if (ctx.get('peer.chaincodeAddress') === null) {
    ctx.set('peer.chaincodeAddress', ctx.get('peer.chaincodeListenAddress'));
  }
  return [];
}
