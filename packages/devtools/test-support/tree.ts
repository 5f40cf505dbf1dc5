// Block and config-tree comparison for the tests: plain views of decodeBlockDeep trees, the
// differences between two views, and what a tree leaves undecoded.
import * as fabric from '@fabric-peer/protos';
import {
  descriptorEntries,
  isScalar,
  messageDescriptor,
  propertyName,
  resolveTypeName,
  walkTree,
  type BlockTreeChild,
  type BlockTreeNode,
} from '@fabric-peer/protos';

interface MessageClass {
  toObject(message: unknown, options: Record<string, unknown>): Record<string, unknown>;
}

/** The generated class of a message type, e.g. `common.ConfigGroup`. */
function messageClass(type: string): MessageClass {
  let cur: unknown = fabric;
  for (const part of type.split('.')) cur = (cur as Record<string, unknown>)[part];
  if (cur === undefined) throw new Error(`no class for ${type}`);
  return cur as MessageClass;
}

/** What PEM certificates are replaced with when `redactCertificates` is set. */
export const CERT = '<certificate>';

/**
 * A node as plain data: its message as `toObject` gives it (defaults included, 64-bit numbers as
 * strings, bytes as base64), each decoded bytes field replaced by the plain view of its node.
 * With `redactCertificates`, bytes holding a PEM certificate become {@link CERT}.
 */
export function plain(node: BlockTreeNode, redactCertificates = false): unknown {
  if (node.message === undefined) return { error: node.error ?? 'not decoded' };
  const obj = messageClass(node.type).toObject(node.message, {
    longs: String,
    bytes: String,
    enums: String,
    defaults: true,
    arrays: true,
    objects: true,
  });
  const view = (child: BlockTreeChild): unknown => {
    if (child instanceof Map) {
      const out: Record<string, unknown> = {};
      for (const [k, n] of child as ReadonlyMap<string, BlockTreeNode>)
        out[k] = plain(n, redactCertificates);
      return out;
    }
    if (Array.isArray(child)) {
      return (child as readonly (BlockTreeNode | undefined)[]).map((n) =>
        n === undefined ? undefined : plain(n, redactCertificates),
      );
    }
    return plain(child as BlockTreeNode, redactCertificates);
  };
  for (const [prop, child] of Object.entries(node.children)) {
    const v = view(child);
    // Keep elements of a repeated field that were not decoded as toObject gave them.
    if (Array.isArray(v) && Array.isArray(obj[prop])) {
      const given = obj[prop] as unknown[];
      obj[prop] = v.map((x: unknown, i) => (x === undefined ? given[i] : x));
    } else {
      obj[prop] = v;
    }
  }
  return redactCertificates ? redact(obj) : obj;
}

function redact(value: unknown): unknown {
  if (typeof value === 'string') {
    const text = Buffer.from(value, 'base64').toString('latin1');
    return text.startsWith('-----BEGIN CERTIFICATE-----') ? CERT : value;
  }
  if (Array.isArray(value)) return value.map(redact);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v)]));
  }
  return value;
}

/** Paths where two plain views differ (at most `limit`), each `path: mine ≠ theirs`. */
export function differences(mine: unknown, theirs: unknown, limit = 50, path = ''): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, p: string): void => {
    if (out.length >= limit) return;
    if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
      if (Array.isArray(a) !== Array.isArray(b)) {
        out.push(`${p}: list vs mapping`);
        return;
      }
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of [...keys].sort()) {
        const ak = (a as Record<string, unknown>)[k];
        const bk = (b as Record<string, unknown>)[k];
        if (!(k in a)) out.push(`${p}.${k}: missing in mine (theirs: ${short(bk)})`);
        else if (!(k in b)) out.push(`${p}.${k}: only in mine (${short(ak)})`);
        else walk(ak, bk, `${p}.${k}`);
      }
      return;
    }
    if (a !== b) out.push(`${p}: ${short(a)} ≠ ${short(b)}`);
  };
  walk(mine, theirs, path);
  return out;
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Every node of a tree as `path (type)`, map keys and indexes included. */
export function nodePaths(tree: BlockTreeNode): Set<string> {
  const out = new Set<string>();
  walkTree(tree, (node, path) => out.add(`${path.join('.')} (${node.type})`));
  return out;
}

/** Nodes that failed to decode, as `path: error`. */
export function decodeErrors(tree: BlockTreeNode): string[] {
  const out: string[] = [];
  walkTree(tree, (node, path) => {
    if (node.error !== undefined) out.push(`${path.join('.')}: ${node.error}`);
    for (const [f, e] of Object.entries(node.fieldErrors ?? {}))
      out.push(`${path.join('.')}.${f}: ${e}`);
  });
  return out;
}

/**
 * Non-empty bytes fields that no node decodes, as `type.field` (plus preserved unknown fields),
 * over the whole tree.
 */
export function undecodedFields(tree: BlockTreeNode): Set<string> {
  const out = new Set<string>();
  const visit = (
    type: string,
    message: Record<string, unknown>,
    children: BlockTreeNode['children'] | undefined,
  ): void => {
    if (Object.prototype.hasOwnProperty.call(message, '$unknowns'))
      out.add(`${type}: unknown fields`);
    for (const [name, field] of Object.entries(messageDescriptor(type).fields)) {
      const prop = propertyName(name, type);
      const value = message[prop];
      if (value == null || !Object.prototype.hasOwnProperty.call(message, prop)) continue;
      const child = children?.[prop];
      if (field.type === 'bytes' && !field.keyType) {
        const items = (field.rule === 'repeated' ? value : [value]) as Uint8Array[];
        items.forEach((v, i) => {
          const decoded = Array.isArray(child)
            ? (child as unknown[])[i] !== undefined
            : child !== undefined;
          if (v.length > 0 && !decoded) out.add(`${type}.${name}`);
        });
      } else if (!isScalar(field.type) && child === undefined) {
        const sub = resolveTypeName(type, field.type);
        if (descriptorEntries().get(sub)?.kind !== 'message') continue;
        const values = field.keyType
          ? Object.values(value as Record<string, unknown>)
          : field.rule === 'repeated'
            ? (value as unknown[])
            : [value];
        for (const v of values) visit(sub, v as Record<string, unknown>, undefined);
      }
    }
  };
  walkTree(tree, (node) => {
    if (node.message !== undefined)
      visit(node.type, node.message as Record<string, unknown>, node.children);
  });
  return out;
}
