/**
 * Fabric's lifecycle Serializer (core/chaincode/lifecycle/serializer.go): a Go struct is stored as
 * one key per field (`<namespace>/fields/<name>/<Field>`, a marshaled StateData) plus a metadata
 * key (`<namespace>/metadata/<name>`, a marshaled StateMetadata naming the struct type and its
 * fields). Keys whose value would not change are not written, so that a read-write set carries
 * only real updates; every endorser must produce the same bytes, so the encodings below are Go's
 * (proto3 defaults omitted, oneof members always written).
 */
import { createHash } from 'node:crypto';
import { Long, lifecycle } from '@fabric-peer/protos';
import { messageOf, refused } from './errors.js';

/** Where definitions of namespaces live (public state and the orgs' implicit collections). */
export const NAMESPACES = 'namespaces';
/** Where an org records the package it approved (only in its implicit collection). */
export const CHAINCODE_SOURCES = 'chaincode-sources';

/** Fabric's MetadataKey. */
export function metadataKey(namespace: string, name: string): string {
  return `${namespace}/metadata/${name}`;
}

/** Fabric's FieldKey. */
export function fieldKey(namespace: string, name: string, field: string): string {
  return `${namespace}/fields/${name}/${field}`;
}

/** State as the serializer reads it: undefined for an absent key (Go's nil). */
export interface ReadableState {
  getState(key: string): Promise<Uint8Array | undefined>;
}

export interface ReadWritableState extends ReadableState {
  putState(key: string, value: Uint8Array): Promise<void>;
  delState(key: string): Promise<void>;
}

/** State known by value hashes only (another org's implicit collection). */
export interface OpaqueState {
  /** SHA-256 of the value, or undefined when absent. */
  getStateHash(key: string): Promise<Uint8Array | undefined>;
  readonly collectionName: string;
}

export interface RangeableState {
  /** Every key starting with `prefix` (keys are ASCII below 0x7f, as Fabric assumes). */
  getStateRange(prefix: string): Promise<Map<string, Uint8Array>>;
}

/** One field of a serialized struct: a Go int64, string, []byte, or proto pointer (marshaled). */
export type FieldValue =
  | { readonly kind: 'int64'; readonly value: bigint }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'bytes'; readonly value: Uint8Array };

/** A Go struct as the serializer sees it: its type name and its fields in declaration order. */
export interface Serializable {
  readonly typeName: string;
  readonly fields: readonly (readonly [string, FieldValue])[];
}

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

export function bytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  // Go's bytes.Equal: nil equals empty.
  return Buffer.from(a ?? []).equals(Buffer.from(b ?? []));
}

function toLong(v: bigint): Long {
  return Long.fromString(v.toString(), false);
}

/** The StateData a field is stored as, marshaled. */
export function encodeStateData(v: FieldValue): Uint8Array {
  switch (v.kind) {
    case 'int64':
      return lifecycle.StateData.encode({ Int64: toLong(v.value) }).finish();
    case 'string':
      return lifecycle.StateData.encode({ String: v.value }).finish();
    case 'bytes':
      return lifecycle.StateData.encode({ Bytes: v.value }).finish();
  }
}

/** The StateMetadata of a struct, marshaled. */
export function encodeMetadata(typeName: string, fields: readonly string[]): Uint8Array {
  return lifecycle.StateMetadata.encode({ datatype: typeName, fields: [...fields] }).finish();
}

function goTypeOf(sd: lifecycle.StateData): string {
  switch (sd.Type) {
    case 'Int64':
      return '*lifecycle.StateData_Int64';
    case 'Bytes':
      return '*lifecycle.StateData_Bytes';
    case 'String':
      return '*lifecycle.StateData_String_';
    default:
      return '<nil>';
  }
}

/** Fabric's DeserializeMetadata: the metadata, or undefined when the key is absent. */
export async function deserializeMetadata(
  namespace: string,
  name: string,
  state: ReadableState,
): Promise<lifecycle.StateMetadata | undefined> {
  let bin: Uint8Array | undefined;
  try {
    bin = await state.getState(metadataKey(namespace, name));
  } catch (err) {
    throw refused(`could not query metadata for namespace ${namespace}/${name}: ${messageOf(err)}`);
  }
  if (bin === undefined) return undefined;
  try {
    return lifecycle.StateMetadata.decode(bin);
  } catch (err) {
    throw refused(
      `could not unmarshal metadata for namespace ${namespace}/${name}: ${messageOf(err)}`,
    );
  }
}

/** Fabric's DeserializeField. */
async function deserializeField(
  namespace: string,
  name: string,
  field: string,
  state: ReadableState,
): Promise<lifecycle.StateData> {
  const key = fieldKey(namespace, name, field);
  let value: Uint8Array | undefined;
  try {
    value = await state.getState(key);
  } catch (err) {
    throw refused(`could not get state for key ${key}: ${messageOf(err)}`);
  }
  return decodeStateData(key, value);
}

function decodeStateData(key: string, value: Uint8Array | undefined): lifecycle.StateData {
  try {
    return lifecycle.StateData.decode(value ?? new Uint8Array(0));
  } catch (err) {
    throw refused(`could not unmarshal state for key ${key}: ${messageOf(err)}`);
  }
}

/** A field's stored value as an int64 (absent: 0), synchronously. */
export function int64FieldValue(
  namespace: string,
  name: string,
  field: string,
  value: Uint8Array | undefined,
): bigint {
  return stateDataInt64(
    namespace,
    name,
    field,
    decodeStateData(fieldKey(namespace, name, field), value),
  );
}

function stateDataInt64(
  namespace: string,
  name: string,
  field: string,
  sd: lifecycle.StateData,
): bigint {
  if (sd.Type === undefined) return 0n;
  if (sd.Type !== 'Int64') {
    throw refused(
      `expected key ${fieldKey(namespace, name, field)} to encode a value of type Int64, but was ${goTypeOf(sd)}`,
    );
  }
  return BigInt(Long.fromValue(sd.Int64 ?? 0).toString());
}

export async function deserializeFieldAsInt64(
  namespace: string,
  name: string,
  field: string,
  state: ReadableState,
): Promise<bigint> {
  return stateDataInt64(
    namespace,
    name,
    field,
    await deserializeField(namespace, name, field, state),
  );
}

export async function deserializeFieldAsString(
  namespace: string,
  name: string,
  field: string,
  state: ReadableState,
): Promise<string> {
  const sd = await deserializeField(namespace, name, field, state);
  if (sd.Type === undefined) return '';
  if (sd.Type !== 'String') {
    throw refused(
      `expected key ${fieldKey(namespace, name, field)} to encode a value of type String, but was ${goTypeOf(sd)}`,
    );
  }
  return sd.String ?? '';
}

export async function deserializeFieldAsBytes(
  namespace: string,
  name: string,
  field: string,
  state: ReadableState,
): Promise<Uint8Array> {
  const sd = await deserializeField(namespace, name, field, state);
  if (sd.Type === undefined) return new Uint8Array(0);
  if (sd.Type !== 'Bytes') {
    throw refused(
      `expected key ${fieldKey(namespace, name, field)} to encode a value of type []byte, but was ${goTypeOf(sd)}`,
    );
  }
  return sd.Bytes ?? new Uint8Array(0);
}

/** Fabric's DeserializeFieldAsProto: an absent key decodes to an empty message. */
export async function deserializeFieldAsProto<T>(
  namespace: string,
  name: string,
  field: string,
  state: ReadableState,
  decode: (b: Uint8Array) => T,
  goType: string,
): Promise<T> {
  const bin = await deserializeFieldAsBytes(namespace, name, field, state);
  try {
    return decode(bin);
  } catch (err) {
    throw refused(
      `could not unmarshal key ${fieldKey(namespace, name, field)} to ${goType}: ${messageOf(err)}`,
    );
  }
}

/**
 * Fabric's Serialize: writes each field that changed, the metadata when the type or the field set
 * changed, and deletes fields the metadata lists that the struct no longer has.
 */
export async function serialize(
  namespace: string,
  name: string,
  structure: Serializable,
  state: ReadWritableState,
): Promise<void> {
  let metadata: lifecycle.StateMetadata | undefined;
  try {
    metadata = await deserializeMetadata(namespace, name, state);
  } catch (err) {
    throw refused(
      `could not deserialize metadata for namespace ${namespace}/${name}: ${messageOf(err)}`,
    );
  }
  metadata ??= lifecycle.StateMetadata.create();

  const existing = new Map<string, Uint8Array | undefined>();
  for (const f of metadata.fields) {
    const key = fieldKey(namespace, name, f);
    try {
      existing.set(key, await state.getState(key));
    } catch (err) {
      throw refused(`could not get value for key ${key}: ${messageOf(err)}`);
    }
  }

  for (const [field, value] of structure.fields) {
    const key = fieldKey(namespace, name, field);
    const marshaled = encodeStateData(value);
    if (!existing.has(key) || !bytesEqual(existing.get(key), marshaled)) {
      try {
        await state.putState(key, marshaled);
      } catch (err) {
        throw refused(`could not write key into state: ${messageOf(err)}`);
      }
    }
    existing.delete(key);
  }

  const fieldNames = structure.fields.map(([f]) => f);
  if (
    existing.size > 0 ||
    structure.typeName !== metadata.datatype ||
    metadata.fields.length !== fieldNames.length
  ) {
    // The decoded metadata is reused, as Go does, so fields this version does not know survive.
    metadata.datatype = structure.typeName;
    metadata.fields = fieldNames;
    try {
      await state.putState(
        metadataKey(namespace, name),
        lifecycle.StateMetadata.encode(metadata).finish(),
      );
    } catch (err) {
      throw refused(
        `could not store metadata for namespace ${namespace}/${name}: ${messageOf(err)}`,
      );
    }
  }

  for (const key of existing.keys()) {
    try {
      await state.delState(key);
    } catch (err) {
      throw refused(`could not delete unneeded key ${key}: ${messageOf(err)}`);
    }
  }
}

/**
 * Fabric's IsSerialized: whether the hashes in `state` are those of `structure` serialized under
 * `name` (how an org's approval is checked without its private values).
 */
export async function isSerialized(
  namespace: string,
  name: string,
  structure: Serializable,
  state: OpaqueState,
): Promise<boolean> {
  const mdKey = metadataKey(namespace, name);
  const keys = [mdKey, ...structure.fields.map(([f]) => fieldKey(namespace, name, f))];
  const hashes = new Map<string, Uint8Array | undefined>();
  for (const key of keys) {
    try {
      hashes.set(key, await state.getStateHash(key));
    } catch (err) {
      throw refused(`could not get value for key ${key}: ${messageOf(err)}`);
    }
  }
  const md = encodeMetadata(
    structure.typeName,
    structure.fields.map(([f]) => f),
  );
  if (!bytesEqual(sha256(md), hashes.get(mdKey))) return false;
  for (const [field, value] of structure.fields) {
    const key = fieldKey(namespace, name, field);
    if (!hashes.has(key) || !bytesEqual(hashes.get(key), sha256(encodeStateData(value)))) {
      return false;
    }
  }
  return true;
}

/** Fabric's IsMetadataSerialized: only the metadata key's hash is compared. */
export async function isMetadataSerialized(
  namespace: string,
  name: string,
  typeName: string,
  fields: readonly string[],
  state: OpaqueState,
): Promise<boolean> {
  const mdKey = metadataKey(namespace, name);
  let hash: Uint8Array | undefined;
  try {
    hash = await state.getStateHash(mdKey);
  } catch (err) {
    throw refused(`could not get state hash for metadata key ${mdKey}: ${messageOf(err)}`);
  }
  return bytesEqual(sha256(encodeMetadata(typeName, fields)), hash);
}

/** Fabric's DeserializeAllMetadata: the metadata of every name under `<namespace>/metadata/`. */
export async function deserializeAllMetadata(
  namespace: string,
  state: RangeableState,
): Promise<Map<string, lifecycle.StateMetadata>> {
  const prefix = `${namespace}/metadata/`;
  let kvs: Map<string, Uint8Array>;
  try {
    kvs = await state.getStateRange(prefix);
  } catch (err) {
    throw refused(`could not get state range for namespace ${namespace}: ${messageOf(err)}`);
  }
  const result = new Map<string, lifecycle.StateMetadata>();
  for (const [key, value] of kvs) {
    try {
      result.set(key.slice(prefix.length), lifecycle.StateMetadata.decode(value));
    } catch (err) {
      throw refused(`error unmarshalling metadata for key ${key}: ${messageOf(err)}`);
    }
  }
  return result;
}
