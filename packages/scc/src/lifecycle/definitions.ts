/**
 * Chaincode definitions committed through `_lifecycle` (Fabric's ChaincodeEndorsementInfoSource,
 * lifecycle Cache and ValidatorCommitter.ValidationInfo).
 *
 * An endorsement reads only `namespaces/fields/<name>/Sequence` through the proposal's simulator,
 * as Fabric's does; everything else (the definition, and whether this org approved it and with
 * which package) comes from a per-channel cache. The cache mirrors `_lifecycle`'s public state and
 * the hashes of this org's implicit collection: loaded from the ledger when the channel is
 * tracked, then updated synchronously from each committed block's write sets (no ledger read, so
 * it is current before anyone learns of the block). Approval hashes written before the cache was
 * loaded are fetched from the ledger when a definition needs them. The package an org approved is
 * found as Fabric finds it: the hash of its `chaincode-sources/.../PackageID` value is matched
 * against the installed packages.
 */
import type { Logger } from '@fabric-peer/api';
import {
  ChaincodeError,
  type ChaincodeDefinitionSource,
  type ChaincodeEndorsementInfo,
  type ChaincodeValidationInfo,
  type ValidationInfoSource,
} from '@fabric-peer/chaincode';
import type { ChaincodePackageStore, InstalledPackageInfo } from '@fabric-peer/chaincode-packages';
import type { Channel, ChannelRegistry } from '@fabric-peer/channel';
import type { BlockCommitEvent, SimpleQueryExecutor } from '@fabric-peer/ledger';
import { common, protos } from '@fabric-peer/protos';
import {
  CHAINCODE_LOCAL_PACKAGE_TYPE,
  LIFECYCLE_NAMESPACE,
  chaincodeDefinitionIfDefined,
  implicitCollectionForOrg,
  lifecycleEndorsementPolicyBytes,
  mspIdOfImplicitCollection,
  parametersStruct,
  policyReference,
  privateName,
  signedByNOutOfGivenRole,
  type ChaincodeDefinition,
} from './definition.js';
import { collectionNames, lifecycleState } from './deployed.js';
import { LifecycleError, messageOf } from './errors.js';
import { Listeners } from '../util.js';
import type { InstalledPackageTracker, PackageReferences } from './scc.js';
import {
  CHAINCODE_SOURCES,
  NAMESPACES,
  deserializeFieldAsInt64,
  encodeStateData,
  fieldKey,
  int64FieldValue,
  isMetadataSerialized,
  isSerialized,
  metadataKey,
  sha256,
  type OpaqueState,
} from './serializer.js';

const VALID = 0;
const EMPTY = new Uint8Array(0);
const enc = new TextEncoder();

/** Options of {@link LifecycleDefinitions}. */
export interface LifecycleDefinitionsOptions {
  readonly channels: ChannelRegistry;
  /** This peer's MSP id: its org's approvals decide what this peer runs. */
  readonly localMspId: string;
  /**
   * The installed packages; an approved package is runnable once installed. Without it no
   * package is known to be installed.
   */
  readonly store?: Pick<ChaincodePackageStore, 'list'>;
  /**
   * Fabric's UserRunsCC (`peer node start --peer-chaincodedev`): an approved definition whose
   * package is not installed runs as `<name>:<version>`, the id a developer starts it with.
   */
  readonly userRunsChaincode?: boolean;
  readonly logger?: Logger;
}

/**
 * A chaincode this peer can run on a channel (Fabric's isChaincodeInvocable): its definition is
 * committed, this org approved it, and the package it approved is installed here.
 */
export interface InvocableChaincode {
  readonly name: string;
  readonly version: string;
  readonly sequence: bigint;
  readonly packageId: string;
  /** The definition's explicit collections, by name. */
  readonly collections: readonly string[];
}

/** What the cache knows of a committed definition on a channel. */
interface Derived {
  readonly definition: ChaincodeDefinition;
  /** Hash keys of the approval this derivation needed but the cache does not know yet. */
  readonly unknown: boolean;
  readonly approved: boolean;
  readonly localPackage: boolean;
  /** Hash of the approved `PackageID` StateData. */
  readonly packageHash: Uint8Array | undefined;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** The keys of an org's approval of `name` at `sequence` (those the cache mirrors hashes of). */
function approvalKeys(name: string, sequence: bigint): string[] {
  const pn = privateName(name, sequence);
  return [
    metadataKey(NAMESPACES, pn),
    fieldKey(NAMESPACES, pn, 'EndorsementInfo'),
    fieldKey(NAMESPACES, pn, 'ValidationInfo'),
    fieldKey(NAMESPACES, pn, 'Collections'),
    metadataKey(CHAINCODE_SOURCES, pn),
    fieldKey(CHAINCODE_SOURCES, pn, 'PackageID'),
  ];
}

function keyHashHex(key: string): string {
  return hex(sha256(enc.encode(key)));
}

const SEQUENCE_KEY = /^namespaces\/fields\/([^/]+)\/Sequence$/;

/** The `_lifecycle` mirror of one channel. */
class ChannelCache {
  /** `_lifecycle` public state. */
  readonly pub = new Map<string, Uint8Array>();
  /** Hashes of this org's implicit collection by hex key hash; null when known to be absent. */
  readonly orgHashes = new Map<string, Uint8Array | null>();
  /** Bumped at every change (a derivation that saw one starts over). */
  generation = 0;
  /** Per key hash, bumped at each write (a fetch never overwrites a newer value). */
  readonly keyWrites = new Map<string, number>();
  readonly derived = new Map<string, Derived | null>();
  readonly fetching = new Map<string, Promise<void>>();
  loaded = false;
  /** Blocks committed while loading, applied once loaded. */
  backlog: BlockCommitEvent[] | undefined = [];
  unsubscribe: (() => void) | undefined;
  loading: Promise<void> = Promise.resolve();

  constructor(
    readonly channel: Channel,
    readonly collection: string,
  ) {}

  /** This org's implicit collection as the serializer's OpaqueState; notes unknown keys. */
  opaque(onUnknown: () => void): OpaqueState {
    return {
      collectionName: this.collection,
      getStateHash: (key) => {
        const h = this.orgHashes.get(keyHashHex(key));
        if (h === undefined) onUnknown();
        return Promise.resolve(h ?? undefined);
      },
    };
  }

  setHash(keyHash: string, value: Uint8Array | null): void {
    this.orgHashes.set(keyHash, value);
    this.keyWrites.set(keyHash, (this.keyWrites.get(keyHash) ?? 0) + 1);
  }

  changed(): void {
    this.generation++;
    this.derived.clear();
  }
}

/**
 * The `_lifecycle` source of chaincode definitions, validation info and installed-package
 * references. Call {@link start} before use.
 */
export class LifecycleDefinitions
  implements ChaincodeDefinitionSource, ValidationInfoSource, InstalledPackageTracker
{
  readonly #caches = new Map<string, ChannelCache>();
  readonly #collection: string;
  #unsubscribe: (() => void) | undefined;
  /** Installed packages by the hex hash of their `PackageID` StateData. */
  #installed: Map<string, InstalledPackageInfo> | undefined;
  readonly #changes: Listeners<[channelId: string]>;

  constructor(private readonly options: LifecycleDefinitionsOptions) {
    this.#collection = implicitCollectionForOrg(options.localMspId);
    this.#changes = new Listeners((err) =>
      options.logger?.error('a lifecycle change listener failed', { error: messageOf(err) }),
    );
  }

  /** Follows every joined channel (now and later): loads its cache, then each committed block. */
  start(): void {
    if (this.#unsubscribe !== undefined) return;
    this.#unsubscribe = this.options.channels.onChannel((channel) => this.#track(channel));
  }

  /** Stops following the channels. */
  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    for (const cache of this.#caches.values()) cache.unsubscribe?.();
    this.#caches.clear();
  }

  /**
   * Resolves once the caches of the channels tracked so far are loaded and the approvals they
   * are fetching are read.
   */
  async ready(): Promise<void> {
    const caches = [...this.#caches.values()];
    await Promise.all(caches.map((c) => c.loading));
    await Promise.all(caches.flatMap((c) => [...c.fetching.values()]));
  }

  /**
   * Calls `listener` with a channel's id whenever what the cache knows of it may have changed: once
   * it is loaded, after each block that writes `_lifecycle` or this org's approvals, and after a
   * package is installed (for every channel). Returns the unsubscribe function.
   */
  onChange(listener: (channelId: string) => void): () => void {
    return this.#changes.add(listener);
  }

  #track(channel: Channel): void {
    if (this.#caches.has(channel.id)) return;
    const cache = new ChannelCache(channel, this.#collection);
    this.#caches.set(channel.id, cache);
    // Subscribed before loading: blocks committed meanwhile wait in the backlog. Applying a block
    // the load already saw is harmless (its writes are absolute values, applied in order).
    cache.unsubscribe = channel.ledger.onCommit((event) => {
      if (cache.backlog !== undefined) cache.backlog.push(event);
      else this.#apply(cache, event);
    });
    cache.loading = this.#load(cache).catch((err: unknown) => {
      // Without its starting state the cache cannot follow blocks: endorsements of `_lifecycle`
      // chaincode on this channel then fail ("unknown channel") rather than use stale answers.
      cache.unsubscribe?.();
      cache.backlog = undefined;
      this.options.logger?.error('could not load the lifecycle cache', {
        channel: channel.id,
        error: messageOf(err),
      });
    });
  }

  async #load(cache: ChannelCache): Promise<void> {
    const qe = await cache.channel.ledger.newQueryExecutor();
    try {
      const itr = await qe.getStateRangeScanIterator(LIFECYCLE_NAMESPACE, '', '');
      try {
        for (let kv = await itr.next(); kv !== undefined; kv = await itr.next()) {
          cache.pub.set(kv.key, kv.value);
        }
      } finally {
        await itr.close();
      }
      // The approvals of each definition's current and next sequence.
      for (const key of [...cache.pub.keys()]) {
        const m = SEQUENCE_KEY.exec(key);
        if (m === null) continue;
        const name = m[1] ?? '';
        const seq = this.#sequenceIn(cache, name);
        if (seq === undefined) continue;
        for (const k of [...approvalKeys(name, seq), ...approvalKeys(name, seq + 1n)]) {
          const h = await qe.getPrivateDataHash(LIFECYCLE_NAMESPACE, cache.collection, k);
          cache.setHash(keyHashHex(k), h ?? null);
        }
      }
    } finally {
      qe.done();
    }
    cache.loaded = true;
    const backlog = cache.backlog ?? [];
    cache.backlog = undefined;
    for (const event of backlog) this.#apply(cache, event);
    cache.changed();
    this.#changes.emit(cache.channel.id);
  }

  /** The sequence the mirror holds for `name`, or undefined when it cannot be read. */
  #sequenceIn(cache: ChannelCache, name: string): bigint | undefined {
    const bytes = cache.pub.get(fieldKey(NAMESPACES, name, 'Sequence'));
    if (bytes === undefined) return undefined;
    try {
      return int64FieldValue(NAMESPACES, name, 'Sequence', bytes);
    } catch {
      return undefined;
    }
  }

  /** Applies a committed block's valid `_lifecycle` writes (synchronous: no ledger access). */
  #apply(cache: ChannelCache, event: BlockCommitEvent): void {
    const sequences = new Set<string>();
    let touched = false;
    for (const tx of event.txs) {
      if (tx.validationCode !== VALID || tx.rwset === undefined) continue;
      for (const ns of tx.rwset.nsRwSets) {
        if (ns.namespace !== LIFECYCLE_NAMESPACE) continue;
        for (const w of ns.kvRwSet.writes) {
          touched = true;
          if (w.isDelete) cache.pub.delete(w.key);
          else cache.pub.set(w.key, w.value);
          const m = SEQUENCE_KEY.exec(w.key);
          if (m !== null) sequences.add(m[1] ?? '');
        }
        for (const coll of ns.collHashedRwSets) {
          if (coll.collectionName !== cache.collection) continue;
          for (const hw of coll.hashedRwSet.hashedWrites) {
            touched = true;
            cache.setHash(hex(hw.keyHash), hw.isDelete || hw.isPurge ? null : hw.valueHash);
          }
        }
      }
    }
    if (!touched) return;
    cache.changed();
    if (cache.loaded) this.#changes.emit(cache.channel.id);
    // A definition committed whose approval this cache never saw (written before it loaded).
    for (const name of sequences) {
      const seq = this.#sequenceIn(cache, name);
      if (seq !== undefined) void this.#fetchIfUnknown(cache, name, seq);
    }
  }

  /** Fetches from the ledger the approval hashes of `name#seq` the cache does not know. */
  #fetchIfUnknown(cache: ChannelCache, name: string, seq: bigint): Promise<void> {
    const keys = approvalKeys(name, seq).filter((k) => !cache.orgHashes.has(keyHashHex(k)));
    if (keys.length === 0) return Promise.resolve();
    const id = privateName(name, seq);
    const running = cache.fetching.get(id);
    if (running !== undefined) return running;
    const task = (async () => {
      const writes = new Map(keys.map((k) => [k, cache.keyWrites.get(keyHashHex(k)) ?? 0]));
      const qe = await cache.channel.ledger.newQueryExecutor();
      try {
        for (const k of keys) {
          const h = await qe.getPrivateDataHash(LIFECYCLE_NAMESPACE, cache.collection, k);
          // A block applied meanwhile has the newer value.
          if ((cache.keyWrites.get(keyHashHex(k)) ?? 0) === writes.get(k)) {
            cache.setHash(keyHashHex(k), h ?? null);
          }
        }
      } finally {
        qe.done();
      }
      cache.changed();
      this.#changes.emit(cache.channel.id);
    })()
      .catch((err: unknown) => {
        this.options.logger?.error('could not read an approval for the lifecycle cache', {
          channel: cache.channel.id,
          chaincode: id,
          error: messageOf(err),
        });
      })
      .finally(() => cache.fetching.delete(id));
    cache.fetching.set(id, task);
    return task;
  }

  /** The cached view of `name`'s committed definition, or null when it has none. */
  async #derive(cache: ChannelCache, name: string): Promise<Derived | null> {
    for (;;) {
      const known = cache.derived.get(name);
      if (known !== undefined) return known;
      const generation = cache.generation;
      const derived = await this.#compute(cache, name);
      if (generation === cache.generation) {
        if (derived === null || !derived.unknown) cache.derived.set(name, derived);
        return derived;
      }
    }
  }

  async #compute(cache: ChannelCache, name: string): Promise<Derived | null> {
    const state = { getState: (key: string) => Promise.resolve(cache.pub.get(key)) };
    const definition = await chaincodeDefinitionIfDefined(name, state);
    if (definition === undefined) return null;
    let unknown = false;
    const opaque = cache.opaque(() => {
      unknown = true;
    });
    const pn = privateName(name, definition.sequence);
    const approved = await isSerialized(NAMESPACES, pn, parametersStruct(definition), opaque);
    const localPackage = await isMetadataSerialized(
      CHAINCODE_SOURCES,
      pn,
      CHAINCODE_LOCAL_PACKAGE_TYPE,
      ['PackageID'],
      opaque,
    );
    const packageHash =
      (await opaque.getStateHash(fieldKey(CHAINCODE_SOURCES, pn, 'PackageID'))) ?? undefined;
    return { definition, unknown, approved, localPackage, packageHash };
  }

  /** The installed package whose `PackageID` StateData hashes to `hash`. */
  async #installedPackage(hash: Uint8Array): Promise<InstalledPackageInfo | undefined> {
    const store = this.options.store;
    if (store === undefined) return undefined;
    const key = hex(hash);
    let found = this.#installed?.get(key);
    if (found === undefined) {
      // Not seen yet: the store is the authority (a listing, no ledger access).
      this.#installed = new Map(
        (await store.list()).map((p) => [hex(packageIdHash(p.packageId)), p]),
      );
      found = this.#installed.get(key);
    }
    return found;
  }

  packageInstalled(info: InstalledPackageInfo): void {
    this.#installed?.set(hex(packageIdHash(info.packageId)), info);
    for (const cache of this.#caches.values())
      if (cache.loaded) this.#changes.emit(cache.channel.id);
  }

  /**
   * `_lifecycle` defines chaincodes only on channels with the V2_0 application capability (an
   * unknown channel stays here, for endorsementInfo's error).
   */
  definesOn(channelId: string): boolean {
    const bundle = this.options.channels.get(channelId)?.bundle();
    return bundle === undefined || bundle.capabilities.application?.lifecycleV20 === true;
  }

  /** Fabric's ChaincodeEndorsementInfoSource.ChaincodeEndorsementInfo for non-system chaincode. */
  async endorsementInfo(
    channelId: string,
    chaincodeName: string,
    qe: SimpleQueryExecutor | undefined,
  ): Promise<ChaincodeEndorsementInfo> {
    const bundle = this.options.channels.get(channelId)?.bundle();
    if (bundle === undefined) {
      throw new ChaincodeError(
        'INVALID_INVOCATION',
        `could not get channel config for channel '${channelId}'`,
      );
    }
    if (bundle.capabilities.application?.lifecycleV20 !== true) {
      // Fabric's lifecycle defers to lscc on channels without V2_0.
      throw notDefined(channelId, chaincodeName);
    }
    let sequence: bigint;
    try {
      if (qe === undefined) throw new Error('invalid channel-less operation');
      sequence = await deserializeFieldAsInt64(
        NAMESPACES,
        chaincodeName,
        'Sequence',
        lifecycleState(qe),
      );
    } catch (err) {
      throw new ChaincodeError(
        'INVALID_INVOCATION',
        `could not get current sequence for chaincode '${chaincodeName}' on channel '${channelId}': ${messageOf(err)}`,
        { cause: err },
      );
    }
    // Committed sequences begin at 1.
    if (sequence === 0n) throw notDefined(channelId, chaincodeName);

    const cache = this.#caches.get(channelId);
    if (cache === undefined || !cache.loaded) {
      throw behind(
        `could not get approved chaincode info from cache: unknown channel '${channelId}'`,
      );
    }
    let derived: Derived | null;
    try {
      derived = await this.#derive(cache, chaincodeName);
    } catch (err) {
      throw behind(`could not get approved chaincode info from cache: ${messageOf(err)}`);
    }
    if (derived === null) {
      throw behind(
        `could not get approved chaincode info from cache: unknown chaincode '${chaincodeName}' for channel '${channelId}'`,
      );
    }
    const def = derived.definition;
    if (def.sequence !== sequence) {
      throw behind(
        `chaincode cache at sequence ${def.sequence} but current sequence is ${sequence}, chaincode definition for '${chaincodeName}' changed during invoke`,
      );
    }
    if (derived.unknown) {
      void this.#fetchIfUnknown(cache, chaincodeName, sequence);
      throw behind(
        `the approval of chaincode definition for '${chaincodeName}' at sequence ${sequence} on channel '${channelId}' is still being loaded; try again`,
      );
    }
    if (!derived.approved) {
      throw new ChaincodeError(
        'INVALID_INVOCATION',
        `chaincode definition for '${chaincodeName}' at sequence ${sequence} on channel '${channelId}' has not yet been approved by this org`,
      );
    }
    const version = def.endorsementInfo.version ?? '';
    let chaincodeId: string | undefined;
    if (derived.localPackage && derived.packageHash !== undefined) {
      chaincodeId = (await this.#installedPackage(derived.packageHash))?.packageId;
    }
    if (chaincodeId === undefined) {
      if (this.options.userRunsChaincode !== true) {
        throw new ChaincodeError(
          'CHAINCODE_NOT_INSTALLED',
          `chaincode definition for '${chaincodeName}' exists, but chaincode is not installed`,
          { details: { channelId, chaincode: chaincodeName } },
        );
      }
      chaincodeId = `${chaincodeName}:${version}`;
    }
    return {
      version,
      enforceInit: def.endorsementInfo.initRequired ?? false,
      endorsementPlugin: def.endorsementInfo.endorsementPlugin ?? '',
      chaincodeId,
    };
  }

  /** Fabric's ValidatorCommitter.ValidationInfo. */
  async validationInfo(
    channelId: string,
    namespace: string,
    state: SimpleQueryExecutor,
  ): Promise<ChaincodeValidationInfo> {
    let def: ChaincodeDefinition | undefined;
    try {
      def = await chaincodeDefinitionIfDefined(namespace, lifecycleState(state));
    } catch (err) {
      throw new LifecycleError(
        'DEFINITION_UNREADABLE',
        `could not get chaincode: ${messageOf(err)}`,
        {
          cause: err,
        },
      );
    }
    if (def === undefined) throw notDefined(channelId, namespace);
    if (namespace === LIFECYCLE_NAMESPACE) {
      try {
        return {
          validationPlugin: 'vscc',
          validationParameter: lifecycleEndorsementPolicyBytes(
            channelId,
            this.options.channels.get(channelId)?.bundle(),
          ),
        };
      } catch (err) {
        throw new LifecycleError(
          'DEFINITION_UNREADABLE',
          `unexpected failure to create lifecycle endorsement policy: ${messageOf(err)}`,
          { cause: err },
        );
      }
    }
    return {
      validationPlugin: def.validationInfo.validationPlugin ?? '',
      validationParameter: def.validationInfo.validationParameter ?? EMPTY,
    };
  }

  /**
   * Fabric's ValidatorCommitter.CollectionValidationInfo: the endorsement policy (a marshaled
   * ApplicationPolicy) that writes to `collection` of `namespace` must satisfy. For an implicit
   * collection, the org's `/Channel/Application/<org>/Endorsement` (or any member of the org when
   * the channel lacks it); for an explicit one, its own policy or else the chaincode's. Not part of
   * the ValidationInfoSource contract: the committer calls it for collection writes.
   * CHAINCODE_NOT_DEFINED when `_lifecycle` does not define `namespace` (Fabric passes on to
   * lscc); LIFECYCLE_REFUSED ("no such collection ...", "no org found in channel with MSPID ...")
   * makes the transaction invalid; DEFINITION_UNREADABLE is Fabric's unexpected error.
   */
  async collectionValidationInfo(
    channelId: string,
    namespace: string,
    collection: string,
    state: SimpleQueryExecutor,
  ): Promise<Uint8Array> {
    let def: ChaincodeDefinition | undefined;
    try {
      def = await chaincodeDefinitionIfDefined(namespace, lifecycleState(state));
    } catch (err) {
      throw new LifecycleError(
        'DEFINITION_UNREADABLE',
        `could not get chaincode: ${messageOf(err)}`,
        {
          cause: err,
        },
      );
    }
    if (def === undefined) throw notDefined(channelId, namespace);
    const mspId = mspIdOfImplicitCollection(collection);
    if (mspId !== undefined) {
      const bundle = this.options.channels.get(channelId)?.bundle();
      if (bundle === undefined) {
        throw new LifecycleError(
          'DEFINITION_UNREADABLE',
          `could not get channel config for channel '${channelId}'`,
        );
      }
      if (bundle.application === undefined) {
        throw new LifecycleError(
          'DEFINITION_UNREADABLE',
          `could not get application config for channel '${channelId}'`,
        );
      }
      const orgName = [...bundle.application.organizations].find(
        ([, org]) => org.mspId === mspId,
      )?.[0];
      if (orgName === undefined) {
        throw new LifecycleError(
          'LIFECYCLE_REFUSED',
          `no org found in channel with MSPID '${mspId}'`,
        );
      }
      const policyName = `/Channel/Application/${orgName}/Endorsement`;
      if (bundle.policyManager.getPolicy(policyName) !== undefined) {
        return policyReference(policyName);
      }
      return protos.ApplicationPolicy.encode({
        signaturePolicy: signedByNOutOfGivenRole(1, common.MSPRole.MSPRoleType.MEMBER, [mspId]),
      }).finish();
    }
    for (const c of def.collections?.config ?? []) {
      const sc = c.staticCollectionConfig;
      if (sc === null || sc === undefined || sc.name !== collection) continue;
      if (sc.endorsementPolicy !== null && sc.endorsementPolicy !== undefined) {
        return protos.ApplicationPolicy.encode(sc.endorsementPolicy).finish();
      }
      return def.validationInfo.validationParameter ?? EMPTY;
    }
    throw new LifecycleError('LIFECYCLE_REFUSED', `no such collection '${collection}'`);
  }

  /**
   * The committed definitions of a loaded channel cache that this org approved with a local
   * package, by name (a definition that cannot be read is skipped: endorsementInfo says why).
   */
  async *#approvedWithPackage(
    cache: ChannelCache,
  ): AsyncGenerator<{ name: string; derived: Derived; packageHash: Uint8Array }> {
    for (const name of definedNames(cache)) {
      let derived: Derived | null;
      try {
        derived = await this.#derive(cache, name);
      } catch {
        continue;
      }
      if (derived === null || !derived.approved || !derived.localPackage) continue;
      if (derived.packageHash === undefined) continue;
      yield { name, derived, packageHash: derived.packageHash };
    }
  }

  /**
   * The chaincodes this peer can run on `channelId`, by name (empty while the channel's cache is
   * not loaded; a definition whose approval is still being read is left out until it is).
   */
  async invocable(channelId: string): Promise<InvocableChaincode[]> {
    const cache = this.#caches.get(channelId);
    if (cache === undefined || !cache.loaded) return [];
    const out: InvocableChaincode[] = [];
    for await (const { name, derived, packageHash } of this.#approvedWithPackage(cache)) {
      if (derived.unknown) continue;
      const installed = await this.#installedPackage(packageHash);
      if (installed === undefined) continue;
      const def = derived.definition;
      out.push({
        name,
        version: def.endorsementInfo.version ?? '',
        sequence: def.sequence,
        packageId: installed.packageId,
        collections: collectionNames(def.collections),
      });
    }
    return out;
  }

  /** Per channel, the committed definitions this org approved with `packageId` (Fabric's references). */
  async references(packageId: string): Promise<PackageReferences> {
    const hash = hex(packageIdHash(packageId));
    const out = new Map<string, { name: string; version: string }[]>();
    for (const [channelId, cache] of this.#caches) {
      if (!cache.loaded) continue;
      for await (const { name, derived, packageHash } of this.#approvedWithPackage(cache)) {
        if (hex(packageHash) !== hash) continue;
        const list = out.get(channelId) ?? [];
        list.push({ name, version: derived.definition.endorsementInfo.version ?? '' });
        out.set(channelId, list);
      }
    }
    return out;
  }
}

/** The chaincodes with a committed definition in a channel's mirror, sorted. */
function definedNames(cache: ChannelCache): string[] {
  const names: string[] = [];
  for (const key of cache.pub.keys()) {
    const m = SEQUENCE_KEY.exec(key);
    if (m !== null) names.push(m[1] ?? '');
  }
  return names.sort();
}

/** The hash Fabric's cache keys installed packages by: SHA-256 of StateData{String: id}. */
export function packageIdHash(packageId: string): Uint8Array {
  return sha256(encodeStateData({ kind: 'string', value: packageId }));
}

function notDefined(channelId: string, name: string): ChaincodeError {
  return new ChaincodeError('CHAINCODE_NOT_DEFINED', `namespace ${name} is not defined`, {
    details: { channelId, chaincode: name },
  });
}

/** A transient inconsistency between the cache and the state the invocation reads. */
function behind(message: string): ChaincodeError {
  return new ChaincodeError('INVALID_INVOCATION', message, { details: { retry: true } });
}
