// The independent reference: @hyperledger/fabric-protos 0.3.7 (google-protobuf generated code).
// Loading it registers every message class and enum at globalThis.proto.<package>.<Name>.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** A google-protobuf message instance, used dynamically. */
export interface JspbMessage {
  serializeBinary(): Uint8Array;
  toObject(includeInstance?: boolean): Record<string, unknown>;
  [accessor: string]: unknown;
}

/** A google-protobuf message class. */
export interface JspbClass {
  new (): JspbMessage;
  deserializeBinary(bytes: Uint8Array): JspbMessage;
}

/** A method of a grpc-js service object from a `*_grpc_pb.js` file. */
export interface JspbMethod {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
}

/** Packages whose generated code fabric-protos registers (top-level names). */
export const PACKAGES = [
  'common',
  'msp',
  'protos',
  'orderer',
  'etcdraft',
  'rwset',
  'kvrwset',
  'queryresult',
  'gossip',
  'gateway',
  'discovery',
  'lifecycle',
  'transientstore',
  'google',
];

const libDir = dirname(require.resolve('@hyperledger/fabric-protos'));
require('@hyperledger/fabric-protos');
const root = (globalThis as unknown as { proto: Record<string, unknown> }).proto;

/** Files fabric-protos generated from orderer/cluster.proto and orderer/clusterserver.proto. */
const CLUSTER_FILES = ['cluster_pb.js', 'clusterserver_pb.js'];

/** Full names of the types defined in the orderer cluster files, which we do not carry. */
export const clusterTypeNames: ReadonlySet<string> = new Set(
  CLUSTER_FILES.flatMap((file) =>
    [...readFileSync(join(libDir, 'orderer', file), 'utf8').matchAll(/exportSymbol\('proto\.([\w.]+)'/g)].map(
      (m) => m[1] ?? '',
    ),
  ),
);

function lookup(fullName: string): unknown {
  let obj: unknown = root;
  for (const part of fullName.split('.')) obj = (obj as Record<string, unknown> | undefined)?.[part];
  return obj;
}

function isClass(v: unknown): v is JspbClass {
  return typeof v === 'function' && typeof (v as { deserializeBinary?: unknown }).deserializeBinary === 'function';
}

function isEnumObject(name: string, v: unknown): v is Record<string, number> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const entries = Object.entries(v);
  if (entries.length === 0 || !entries.every(([, x]) => typeof x === 'number')) return false;
  // google-protobuf adds a `<Oneof>Case` object per oneof; it is not a proto enum.
  return !(name.endsWith('Case') && entries.some(([k]) => k.endsWith('_NOT_SET')));
}

/** The google-protobuf class of a message, by full proto name. */
export function jspbClass(fullName: string): JspbClass | undefined {
  const v = lookup(fullName);
  return isClass(v) ? v : undefined;
}

/** The google-protobuf enum object (NAME → value), by full proto name. */
export function jspbEnum(fullName: string): Record<string, number> | undefined {
  const v = lookup(fullName);
  return isEnumObject(fullName.split('.').pop() ?? '', v) ? v : undefined;
}

/** Every message class and enum fabric-protos registers under PACKAGES, by full name. */
export function jspbTypes(): { messages: Set<string>; enums: Set<string> } {
  const messages = new Set<string>();
  const enums = new Set<string>();
  const walk = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [name, v] of Object.entries(obj)) {
      const full = `${prefix}.${name}`;
      if (isClass(v)) {
        messages.add(full);
        walk(v as unknown as Record<string, unknown>, full);
      } else if (isEnumObject(name, v)) {
        enums.add(full);
      } else if (typeof v === 'object' && v !== null && /^[a-z]/.test(name)) {
        walk(v as Record<string, unknown>, full);
      }
    }
  };
  for (const pkg of PACKAGES) {
    const ns = root[pkg];
    if (typeof ns === 'object' && ns !== null) walk(ns as Record<string, unknown>, pkg);
  }
  return { messages, enums };
}

/** Every grpc-js method fabric-protos defines, outside the orderer cluster services. */
export function jspbGrpcMethods(): JspbMethod[] {
  const methods: JspbMethod[] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('_grpc_pb.js') && !entry.name.startsWith('cluster')) {
        // Each file exports `<Name>Service` objects (method name → definition) and client classes.
        const mod = require(path) as Record<string, unknown>;
        for (const [name, service] of Object.entries(mod)) {
          if (!name.endsWith('Service') || typeof service !== 'object' || service === null) continue;
          for (const m of Object.values(service as Record<string, JspbMethod>)) methods.push(m);
        }
      }
    }
  };
  visit(libDir);
  return methods;
}

/** google-protobuf's JS name of a field: lowercased words joined in camel case. */
export function jspbFieldName(protoName: string): string {
  const words = protoName
    .split('_')
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase());
  return words.map((w, i) => (i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1))).join('');
}

/** The accessor stem google-protobuf uses (`getFooBar`), with its rename of `extension`. */
export function jspbAccessor(protoName: string): string {
  const name = jspbFieldName(protoName);
  const upper = name.charAt(0).toUpperCase() + name.slice(1);
  return upper === 'Extension' ? 'Extension$' : upper;
}

/** Calls a google-protobuf accessor by name. */
export function callAccessor(message: JspbMessage, method: string, ...args: unknown[]): unknown {
  const fn = message[method];
  if (typeof fn !== 'function') throw new Error(`google-protobuf message has no ${method}()`);
  return (fn as (...a: unknown[]) => unknown).apply(message, args);
}
