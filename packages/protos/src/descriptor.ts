// The JSON descriptor generated from protos/ (protobufjs `-t json`, field names as written in the
// .proto files), and small lookups over it. No protobuf runtime is involved: it is plain JSON.
import { readFileSync } from 'node:fs';

/** A field as the protobufjs JSON descriptor writes it. */
export interface DescriptorField {
  /** Scalar name (`bytes`, `uint64`, ...) or a type reference relative to the message. */
  type: string;
  id: number;
  rule?: 'repeated';
  /** Present for map fields; `type` is then the value type. */
  keyType?: string;
}

/** A message, enum, service or plain namespace of the descriptor. */
export interface DescriptorObject {
  fields?: Record<string, DescriptorField>;
  oneofs?: Record<string, { oneof: string[] }>;
  values?: Record<string, number>;
  methods?: Record<
    string,
    { requestType: string; responseType: string; requestStream?: boolean; responseStream?: boolean }
  >;
  reserved?: (number[] | string)[];
  nested?: Record<string, DescriptorObject>;
}

/** One named definition of the descriptor with its full name, e.g. `common.Envelope`. */
export interface DescriptorEntry {
  fullName: string;
  kind: 'message' | 'enum' | 'service';
  def: DescriptorObject;
}

const SCALARS = new Set([
  'double',
  'float',
  'int32',
  'int64',
  'uint32',
  'uint64',
  'sint32',
  'sint64',
  'fixed32',
  'fixed64',
  'sfixed32',
  'sfixed64',
  'bool',
  'string',
  'bytes',
]);

let cached: DescriptorObject | undefined;
let index: Map<string, DescriptorEntry> | undefined;

/** The parsed JSON descriptor of every .proto file in protos/ (read once, then cached). */
export function loadDescriptor(): DescriptorObject {
  cached ??= JSON.parse(
    readFileSync(new URL('./generated/descriptor.json', import.meta.url), 'utf8'),
  ) as DescriptorObject;
  return cached;
}

function buildIndex(): Map<string, DescriptorEntry> {
  const out = new Map<string, DescriptorEntry>();
  const walk = (ns: DescriptorObject, prefix: string): void => {
    for (const [name, def] of Object.entries(ns.nested ?? {})) {
      const fullName = prefix ? `${prefix}.${name}` : name;
      if (def.fields) out.set(fullName, { fullName, kind: 'message', def });
      else if (def.values) out.set(fullName, { fullName, kind: 'enum', def });
      else if (def.methods) out.set(fullName, { fullName, kind: 'service', def });
      walk(def, fullName);
    }
  };
  walk(loadDescriptor(), '');
  return out;
}

/** Every message, enum and service of the descriptor, nested ones included, by full name. */
export function descriptorEntries(): ReadonlyMap<string, DescriptorEntry> {
  index ??= buildIndex();
  return index;
}

/** The message with this full name; throws if there is none. */
export function messageDescriptor(fullName: string): DescriptorObject & {
  fields: Record<string, DescriptorField>;
} {
  const entry = descriptorEntries().get(fullName);
  if (entry?.kind !== 'message' || !entry.def.fields) {
    throw new Error(`no message ${fullName} in the descriptor`);
  }
  return entry.def as DescriptorObject & { fields: Record<string, DescriptorField> };
}

/** True for protobuf scalar type names (`bytes`, `uint64`, ...). */
export function isScalar(type: string): boolean {
  return SCALARS.has(type);
}

/**
 * The full name of a type referenced from inside `scope` (a message or package full name),
 * following protobuf's rule: innermost scope first, then each enclosing one.
 */
export function resolveTypeName(scope: string, ref: string): string {
  if (ref.startsWith('.')) return ref.slice(1);
  const entries = descriptorEntries();
  const parts = scope ? scope.split('.') : [];
  for (let i = parts.length; i >= 0; i--) {
    const candidate = [...parts.slice(0, i), ref].join('.');
    if (entries.has(candidate)) return candidate;
  }
  throw new Error(`cannot resolve type ${ref} from ${scope}`);
}

/**
 * The property name the static module uses for a field or oneof of `messageFullName`, given its
 * .proto name: protobufjs's rule (`_x` becomes `X` for lowercase x, nothing else changes), except
 * for the google.protobuf types protobufjs bundles, which keep their .proto names
 * (`google.protobuf.Any.type_url`).
 */
export function propertyName(protoName: string, messageFullName = ''): string {
  if (messageFullName.startsWith('google.protobuf.')) return protoName;
  return protoName.charAt(0) + protoName.slice(1).replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}
