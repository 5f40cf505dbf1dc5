/**
 * Fabric's buildChaincodeInterest (core/endorser/endorser.go): from the simulation results, which
 * chaincodes and collections the transaction needs endorsed, with the key-level (SBE) policies of
 * the keys it writes. The gateway and discovery use it to plan endorsements.
 */
import type { KeyMetadata, TxSimulationResults } from '@fabric-peer/ledger';
import type { protos } from '@fabric-peer/protos';
import { common, kvrwset } from '@fabric-peer/protos';

const VALIDATION_PARAMETER = 'VALIDATION_PARAMETER';
const EMPTY = new Uint8Array(0);

/** Committed metadata of written keys, read outside the simulation (Fabric reads the state DB). */
export interface MetadataReader {
  publicMetadata(ns: string, key: string): Promise<KeyMetadata | undefined>;
  privateMetadataByHash(
    ns: string,
    coll: string,
    keyHash: Uint8Array,
  ): Promise<KeyMetadata | undefined>;
}

class Policies {
  /** namespace → SBE policies of its written keys. */
  readonly sbe = new Map<string, common.SignaturePolicyEnvelope[]>();
  /** namespace → collection ('' = public) → whether the chaincode/collection policy is required. */
  readonly required = new Map<string, Map<string, boolean>>();

  add(ns: string, coll: string, required: boolean): void {
    let entry = this.required.get(ns);
    if (entry === undefined) {
      entry = new Map();
      this.required.set(ns, entry);
    }
    entry.set(coll, required);
  }

  /** Fabric's parseWritesetMetadata for one written key. */
  written(ns: string, coll: string, metadata: KeyMetadata | undefined): void {
    if (!this.required.has(ns)) this.required.set(ns, new Map([['', false]]));
    const policy = metadata?.get(VALIDATION_PARAMETER);
    if (policy !== undefined) {
      const list = this.sbe.get(ns) ?? [];
      list.push(common.SignaturePolicyEnvelope.decode(policy));
      this.sbe.set(ns, list);
    } else {
      this.required.get(ns)?.set(coll, true);
    }
  }
}

export async function buildChaincodeInterest(
  results: TxSimulationResults,
  isSysCC: (ns: string) => boolean,
  metadata: MetadataReader,
): Promise<protos.IChaincodeInterest> {
  const policies = new Policies();
  const namespaces = results.publicRwsetProto.nsRwset;
  for (const ns of namespaces) {
    const name = ns.namespace ?? '';
    // System chaincodes never appear in the interest; their writes need no metadata.
    if (isSysCC(name)) continue;
    const kv = kvrwset.KVRWSet.decode(ns.rwset ?? EMPTY);
    const keys = new Set<string>();
    for (const w of kv.writes) keys.add(w.key ?? '');
    for (const m of kv.metadataWrites) keys.add(m.key ?? '');
    // A key the simulation read and found absent had no metadata then (commits wait for the
    // simulation), which is when Fabric reads it: no need to ask the state database again.
    const absent = new Set<string>();
    for (const r of kv.reads) {
      if (r.version === null || r.version === undefined) absent.add(r.key ?? '');
    }
    for (const key of keys) {
      policies.written(
        name,
        '',
        absent.has(key) ? undefined : await metadata.publicMetadata(name, key),
      );
    }
    for (const coll of ns.collectionHashedRwset ?? []) {
      const collName = coll.collectionName ?? '';
      const hashed = kvrwset.HashedRWSet.decode(coll.hashedRwset ?? EMPTY);
      const hashes = new Map<string, Uint8Array>();
      for (const w of [...hashed.hashedWrites, ...hashed.metadataWrites]) {
        const h = w.keyHash ?? EMPTY;
        hashes.set(Buffer.from(h).toString('hex'), h);
      }
      for (const keyHash of hashes.values()) {
        policies.written(
          name,
          collName,
          await metadata.privateMetadataByHash(name, collName, keyHash),
        );
      }
    }
  }
  for (const ns of namespaces) {
    const name = ns.namespace ?? '';
    if (isSysCC(name)) continue;
    if (!policies.required.has(name)) policies.add(name, '', true);
  }
  for (const [ns, colls] of results.privateReads) {
    for (const coll of colls) policies.add(ns, coll, true);
  }

  const chaincodes: protos.IChaincodeCall[] = [];
  for (const [ns, colls] of policies.required) {
    if (isSysCC(ns)) continue;
    const requireChaincodePolicy = colls.get('') === true;
    const ordered = [...colls.keys()].sort();
    for (const coll of ordered) {
      const call: protos.IChaincodeCall = { name: ns };
      if (coll === '') {
        const keyPolicies = policies.sbe.get(ns) ?? [];
        if (keyPolicies.length > 0) {
          call.keyPolicies = keyPolicies;
          if (!requireChaincodePolicy) call.disregardNamespacePolicy = true;
        } else if (!requireChaincodePolicy) {
          continue;
        }
      } else {
        call.collectionNames = [coll];
        call.noPrivateReads = !(results.privateReads.get(ns)?.has(coll) ?? false);
      }
      chaincodes.push(call);
    }
  }
  return { chaincodes };
}
