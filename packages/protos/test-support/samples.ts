// Builds, for any message of our descriptor, one populated sample in four shapes: the plain object
// our static module encodes, what our toObject gives back, what google-protobuf's toObject gives,
// and a google-protobuf instance built with its setters. Every field is set with a non-default
// value, so a wrong field number, type or name on either side shows up as a difference.
import * as fabric from '../src/generated/fabric.js';
import {
  descriptorEntries,
  isScalar,
  messageDescriptor,
  propertyName,
  resolveTypeName,
  type DescriptorField,
} from '../src/descriptor.js';
import { callAccessor, jspbAccessor, jspbClass, jspbFieldName, type JspbMessage } from './reference.js';

/** One sample message in the four shapes. */
export interface Sample {
  /** Properties for our `encode` / `fromObject` (numbers for 64-bit values, Buffers for bytes). */
  ours: Record<string, unknown>;
  /** Our `toObject(decoded, { longs: String, bytes: String })`. */
  oursObject: Record<string, unknown>;
  /** google-protobuf's `toObject()`, with every Uint8Array as base64. */
  jspbObject: Record<string, unknown>;
  /** The same message built with google-protobuf setters. */
  jspb: JspbMessage;
}

/** Our static-module class of a message, used dynamically. */
export interface OurClass {
  encode(message: object): { finish(): Uint8Array };
  decode(bytes: Uint8Array): object;
  fromObject(object: object): object;
  toObject(message: object, options?: object): Record<string, unknown>;
}

/** Nested messages are filled to this depth (the top message is depth 0). */
export const MAX_DEPTH = 3;

const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const SIGNED_32 = new Set(['int32', 'sint32', 'sfixed32']);
const UNSIGNED_32 = new Set(['uint32', 'fixed32']);

export function ourClass(fullName: string): OurClass {
  let obj: unknown = fabric;
  for (const part of fullName.split('.')) obj = (obj as Record<string, unknown> | undefined)?.[part];
  if (typeof (obj as Partial<OurClass> | undefined)?.encode !== 'function') {
    throw new Error(`no generated class for ${fullName}`);
  }
  return obj as OurClass;
}

/** A value in the four shapes (the jspb one is what its setter takes). */
interface Value {
  ours: unknown;
  oursObject: unknown;
  jspbObject: unknown;
  jspb: unknown;
}

type FieldKind =
  | { kind: 'scalar'; type: string }
  | { kind: 'enum'; values: Record<string, number> }
  | { kind: 'message'; type: string };

function fieldKind(owner: string, field: DescriptorField): FieldKind {
  if (isScalar(field.type)) return { kind: 'scalar', type: field.type };
  const full = resolveTypeName(owner, field.type);
  const entry = descriptorEntries().get(full);
  if (entry?.kind === 'enum') return { kind: 'enum', values: entry.def.values ?? {} };
  return { kind: 'message', type: full };
}

function scalar(type: string, seed: number, name: string): Value {
  const same = (v: unknown): Value => ({ ours: v, oursObject: v, jspbObject: v, jspb: v });
  if (type === 'string') return same(`ü-${name}-${seed}-✓ 名`);
  if (type === 'bytes') {
    const b = Buffer.from([seed & 0xff, 0x00, 0xff, 0x80, 0x7f, (seed * 31) & 0xff]);
    const b64 = b.toString('base64');
    return { ours: b, oursObject: b64, jspbObject: b64, jspb: new Uint8Array(b) };
  }
  if (type === 'bool') return same(true);
  if (SIGNED_32.has(type)) return same(-(1000 + seed));
  if (UNSIGNED_32.has(type)) return same(3_000_000_000 + seed);
  if (INT64.has(type)) {
    // Large but below 2^53: google-protobuf holds 64-bit integers as JS numbers.
    const v = type.startsWith('u') || type === 'fixed64' ? 2 ** 52 + seed : -(2 ** 52 + seed);
    return { ours: v, oursObject: String(v), jspbObject: v, jspb: v };
  }
  if (type === 'double' || type === 'float') return same(1.5 + seed);
  throw new Error(`no sample for scalar type ${type}`);
}

function scalarDefault(type: string): unknown {
  if (type === 'string' || type === 'bytes') return '';
  if (type === 'bool') return false;
  return 0;
}

function enumValue(values: Record<string, number>): number {
  return Object.values(values).find((v) => v !== 0) ?? 0;
}

/** Two map keys of the key type, in the order google-protobuf writes them (sorted). */
function mapKeys(keyType: string): { ours: string; jspb: string | number }[] {
  if (keyType === 'string') {
    return [
      { ours: 'alpha-ä', jspb: 'alpha-ä' },
      { ours: 'beta-ß', jspb: 'beta-ß' },
    ];
  }
  if (SIGNED_32.has(keyType) || UNSIGNED_32.has(keyType) || INT64.has(keyType)) {
    // Same digit count, so string order (google-protobuf) and numeric order agree.
    return [
      { ours: '1', jspb: 1 },
      { ours: '2', jspb: 2 },
    ];
  }
  throw new Error(`no sample keys for map key type ${keyType}`);
}

/**
 * A sample of `fullName`. `variant` picks the member of each oneof (member variant % count), so
 * variants 0..n-1 cover every member; nested messages use the same variant.
 */
export function buildSample(fullName: string, variant: number, depth = 0): Sample {
  const desc = messageDescriptor(fullName);
  const Jspb = jspbClass(fullName);
  if (!Jspb) throw new Error(`fabric-protos has no class for ${fullName}`);
  const jspb = new Jspb();
  const ours: Record<string, unknown> = {};
  const oursObject: Record<string, unknown> = {};
  const jspbObject: Record<string, unknown> = {};

  const oneofOf = new Map<string, string[]>();
  for (const { oneof } of Object.values(desc.oneofs ?? {})) {
    for (const member of oneof) oneofOf.set(member, oneof);
  }

  const fields = Object.entries(desc.fields).sort(([, a], [, b]) => a.id - b.id);
  for (const [name, field] of fields) {
    const prop = propertyName(name, fullName);
    const js = jspbFieldName(name);
    const acc = jspbAccessor(name);
    const kind = fieldKind(fullName, field);
    const seed = field.id + depth * 100 + variant * 7;
    const nestedAllowed = depth + 1 <= MAX_DEPTH;

    const one = (s: number): Value | undefined => {
      if (kind.kind === 'scalar') return scalar(kind.type, s, name);
      if (kind.kind === 'enum') {
        const v = enumValue(kind.values);
        return { ours: v, oursObject: v, jspbObject: v, jspb: v };
      }
      if (!nestedAllowed) return undefined;
      const nested = buildSample(kind.type, variant, depth + 1);
      return {
        ours: nested.ours,
        oursObject: nested.oursObject,
        jspbObject: nested.jspbObject,
        jspb: nested.jspb,
      };
    };
    const unsetObject = (): unknown =>
      kind.kind === 'message' ? undefined : kind.kind === 'enum' ? 0 : scalarDefault(kind.type);

    const members = oneofOf.get(name);
    if (members && members[variant % members.length] !== name) {
      // google-protobuf reports an unset oneof member as undefined, but bytes as ''.
      jspbObject[js] = kind.kind === 'scalar' && kind.type === 'bytes' ? '' : undefined;
      continue;
    }

    if (field.keyType) {
      const keys = mapKeys(field.keyType);
      const values = keys.map((_k, i) => one(seed + i));
      if (values.some((v) => v === undefined)) {
        jspbObject[`${js}Map`] = [];
        continue;
      }
      const oursMap: Record<string, unknown> = {};
      const oursObjectMap: Record<string, unknown> = {};
      const jspbMap = callAccessor(jspb, `get${acc}Map`) as { set(k: unknown, v: unknown): unknown };
      const entries: unknown[] = [];
      keys.forEach((key, i) => {
        const v = values[i] as Value;
        oursMap[key.ours] = v.ours;
        oursObjectMap[key.ours] = v.oursObject;
        jspbMap.set(key.jspb, v.jspb);
        entries.push([key.jspb, v.jspbObject]);
      });
      ours[prop] = oursMap;
      oursObject[prop] = oursObjectMap;
      jspbObject[`${js}Map`] = entries;
    } else if (field.rule === 'repeated') {
      const values = [one(seed), one(seed + 1)];
      if (values.some((v) => v === undefined)) {
        jspbObject[`${js}List`] = [];
        continue;
      }
      const list = values as Value[];
      ours[prop] = list.map((v) => v.ours);
      oursObject[prop] = list.map((v) => v.oursObject);
      jspbObject[`${js}List`] = list.map((v) => v.jspbObject);
      callAccessor(
        jspb,
        `set${acc}List`,
        list.map((v) => v.jspb),
      );
    } else {
      const v = one(seed);
      if (v === undefined) {
        jspbObject[js] = unsetObject();
        continue;
      }
      ours[prop] = v.ours;
      // An enum with no value but 0 (TxReadWriteSet.DataModel) is the default: not on the wire.
      if (!(kind.kind === 'enum' && v.ours === 0 && !members)) oursObject[prop] = v.oursObject;
      jspbObject[js] = v.jspbObject;
      callAccessor(jspb, `set${acc}`, v.jspb);
    }
  }
  return { ours, oursObject, jspbObject, jspb };
}

/** How many samples cover every oneof member of a message. */
export function variantCount(fullName: string): number {
  const desc = messageDescriptor(fullName);
  return Math.max(1, ...Object.values(desc.oneofs ?? {}).map((o) => o.oneof.length));
}

/** A copy with every Uint8Array (Buffers too) replaced by its base64 text. */
export function base64Bytes(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(base64Bytes);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = base64Bytes(v);
    return out;
  }
  return value;
}
