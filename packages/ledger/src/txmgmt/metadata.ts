/**
 * Key metadata as Fabric stores it beside a value (`txmgmt/statemetadata`): the bytes of a
 * `kvrwset.KVMetadataWrite` holding only `entries` (no key). The state database stores these bytes
 * in `VersionedValue.metadata` without looking into them.
 */
import { kvrwset } from '@fabric-peer/protos';
import { LedgerError } from './errors.js';
import type { KVMetadataEntry } from './rwset.js';
import { WireError, decodeMessage, type MessageSpec } from './wire.js';

/** Metadata of one key: name → value (e.g. `VALIDATION_PARAMETER` → a policy). */
export type KeyMetadata = ReadonlyMap<string, Uint8Array>;

/** Fabric's statemetadata.Serialize. */
export function serializeMetadata(entries: readonly KVMetadataEntry[]): Uint8Array {
  return kvrwset.KVMetadataWrite.encode({
    entries: entries.map((e) => ({ name: e.name, value: e.value })),
  }).finish();
}

const EntrySpec: MessageSpec = {
  name: 'kvrwset.KVMetadataEntry',
  fields: { 1: { name: 'name', kind: 'string' }, 2: { name: 'value', kind: 'bytes' } },
};
const MetadataSpec: MessageSpec = {
  name: 'kvrwset.KVMetadataWrite',
  fields: {
    1: { name: 'key', kind: 'string' },
    2: { name: 'entries', kind: 'message', repeated: true, message: () => EntrySpec },
  },
};

/**
 * Fabric's statemetadata.Deserialize: undefined for no metadata bytes, otherwise the entries (a
 * later entry with the same name wins).
 */
export function deserializeMetadata(bytes: Uint8Array | undefined): KeyMetadata | undefined {
  if (bytes === undefined) return undefined;
  let decoded: Record<string, unknown>;
  try {
    decoded = decodeMessage(MetadataSpec, bytes);
  } catch (err) {
    if (err instanceof WireError) {
      throw new LedgerError('MALFORMED', `stored key metadata does not decode: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
  const m = new Map<string, Uint8Array>();
  for (const e of (decoded['entries'] as Record<string, unknown>[] | undefined) ?? []) {
    m.set(
      (e['name'] as string | undefined) ?? '',
      (e['value'] as Uint8Array | undefined) ?? new Uint8Array(0),
    );
  }
  return m;
}
