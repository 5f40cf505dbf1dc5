/**
 * A committer on the channel test network of `@fabric-peer/channel/test-support` (Org1MSP, its
 * peer, admin and user, an orderer org), with the orderer's signing identity to sign blocks, the
 * test `_lifecycle` reader, DefaultValidation as `vscc`, and helpers to define chaincodes.
 */
import { join } from 'node:path';
import type {
  Logger,
  StateDatabaseProvider,
  ValidationPlugin,
  VersionedDB,
} from '@fabric-peer/api';
import type { Channel } from '@fabric-peer/channel';
import { ChannelManager } from '@fabric-peer/channel';
import {
  makeTestNetwork,
  type TestChannels,
  type TestNetwork,
  type TestNetworkOptions,
} from '@fabric-peer/channel/test-support';
import { openLedgerManager } from '@fabric-peer/ledger';
import { memoryStateDatabaseProvider } from '@fabric-peer/statedb-testkit';
import type { ChannelMsp } from '@fabric-peer/policies';
import { DefaultValidation } from '@fabric-peer/handlers-default';
import { createMsp, loadMspFolder, type Msp, type X509SigningIdentity } from '@fabric-peer/msp';
import { LevelDbStateProvider } from '@fabric-peer/statedb-leveldb';
import { common, protos } from '@fabric-peer/protos';
import { fakeConfig, silentLoggers } from '@fabric-peer/testkit';

import { Committer, type CommitterOptions } from '../src/index.js';
import { BlockMaker, endorserTx, rwsetOf } from './chain.js';
import { LIFECYCLE, LifecycleStateInfo, definitionWrites } from './lifecycle.js';

export interface CommitterFixture {
  readonly net: TestNetwork;
  readonly channels: TestChannels;
  readonly channel: Channel;
  readonly committer: Committer;
  readonly blocks: BlockMaker;
  readonly orderer: X509SigningIdentity;
  readonly info: LifecycleStateInfo;
  /** How many validation plugins the factory made. */
  readonly pluginsMade: () => number;
  /** Signatures the channel's MSP of `mspId` verified on this thread so far (all its configs). */
  readonly signaturesVerified: (mspId: string) => number;
  /** Verifications of `mspId`'s channel MSP answered by its verified-signature cache. */
  readonly signatureCacheHits: (mspId: string) => number;
  close(): Promise<void>;
}

/** The orderer node's signing identity of a test network. */
export function ordererSigner(net: TestNetwork): X509SigningIdentity {
  const dir = join(
    net.dir,
    'crypto',
    'ordererOrganizations',
    'example.com',
    'orderers',
    'orderer.example.com',
    'msp',
  );
  const config = loadMspFolder(dir, 'OrdererMSP', { signing: true });
  return createMsp(config, { version: 'v1_4_3' }).defaultSigningIdentity();
}

/** A LevelDB state database under `dir` (Fabric's `ledgersData/stateLeveldb`). */
export function levelDbProvider(dir: string): StateDatabaseProvider {
  return new LevelDbStateProvider(
    fakeConfig({ 'peer.fileSystemPath': join(dir, 'production') }, { dir }),
    silentLoggers,
  );
}

/**
 * LevelDB presented as a remote database (`remote: true`, as CouchDB's): the committer then loads
 * each block's keys in bulk before validating it, and validation reads what was loaded.
 */
function asRemote(
  provider: StateDatabaseProvider,
  failures: { bulkLoads: number },
): StateDatabaseProvider {
  const remote = (db: VersionedDB): VersionedDB =>
    new Proxy(db, {
      get: (target, prop) => {
        if (prop === 'remote') return true;
        if (prop === 'loadCommittedVersions') {
          return (keys: readonly { namespace: string; key: string }[]) => {
            if (failures.bulkLoads <= 0) return target.loadCommittedVersions!(keys);
            failures.bulkLoads--;
            return Promise.reject(new Error('bulk load failed (the test made it fail)'));
          };
        }
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  return {
    name: provider.name,
    open: async (channelId) => remote(await provider.open(channelId)),
    drop: (channelId) => provider.drop(channelId),
    close: () => provider.close(),
  };
}

export interface FixtureOptions {
  /**
   * The state database: in memory (default), LevelDB, or LevelDB as if it were remote (bulk loads
   * before validation, see {@link asRemote}).
   */
  readonly database?: 'memory' | 'leveldb' | 'leveldb-as-remote';
  /**
   * With `leveldb-as-remote`: while `bulkLoads` is above 0, a bulk load fails and counts it down
   * (the test sets it when it wants the next loads to fail).
   */
  readonly failures?: { bulkLoads: number };
  readonly applicationCapabilities?: TestNetworkOptions['applicationCapabilities'];
  readonly logger?: Logger;
  /** More committer options (pool, private data, ...). */
  readonly committer?: (channel: Channel, info: LifecycleStateInfo) => Partial<CommitterOptions>;
  /** Plugins by name; default `vscc` → DefaultValidation. */
  readonly plugins?: Readonly<Record<string, () => ValidationPlugin>>;
  /** The channel MSPs' verified-signature cache (entries; default none, as createMsp's). */
  readonly verifiedSignatures?: number;
}

/** A test network, its joined channel, and a committer over it. */
export async function openCommitterFixture(
  options: FixtureOptions = {},
): Promise<CommitterFixture> {
  const net = await makeTestNetwork(
    options.applicationCapabilities !== undefined
      ? { applicationCapabilities: options.applicationCapabilities }
      : {},
  );
  const provider =
    options.database === 'leveldb'
      ? levelDbProvider(net.dir)
      : options.database === 'leveldb-as-remote'
        ? asRemote(levelDbProvider(net.dir), options.failures ?? { bulkLoads: 0 })
        : memoryStateDatabaseProvider();
  // The channel's MSPs are the X.509 MSP, kept here so tests can read their counters.
  const msps: Msp[] = [];
  const ledgers = await openLedgerManager({
    fileSystemPath: join(net.dir, 'production'),
    stateDatabaseProvider: provider,
  });
  const manager = new ChannelManager({
    ledgers,
    bundleOptions: {
      mspFactory: (config, version): ChannelMsp => {
        const msp = createMsp(config, {
          version,
          ...(options.verifiedSignatures !== undefined
            ? { cacheSizes: { verifiedSignatures: options.verifiedSignatures } }
            : {}),
        });
        msps.push(msp);
        return {
          mspId: msp.id,
          tlsRootCerts: msp.tlsRootCerts,
          tlsIntermediateCerts: msp.tlsIntermediateCerts,
          deserializeIdentity: (serialized) => msp.deserializeIdentity(serialized),
        };
      },
    },
  });
  const channel = await manager.join(common.Block.decode(net.genesis));
  const channels: TestChannels = {
    ledgers,
    channels: manager,
    async close() {
      manager.close();
      await ledgers.close();
      await provider.close();
    },
  };
  const info = new LifecycleStateInfo(() => committer.bundle());
  const plugins = options.plugins ?? { vscc: () => new DefaultValidation() };
  let made = 0;
  const committer: Committer = new Committer({
    channel,
    validationInfo: info,
    validationPlugin: (name) => {
      const make = plugins[name];
      if (make === undefined) return undefined;
      made++;
      return make();
    },
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...options.committer?.(channel, info),
  });
  const genesis = (await channel.ledger.getBlockByNumber(0))!;
  const orderer = ordererSigner(net);
  return {
    net,
    channels,
    channel,
    committer,
    blocks: new BlockMaker(orderer, genesis),
    orderer,
    info,
    pluginsMade: () => made,
    signaturesVerified: (mspId) =>
      msps.filter((m) => m.id === mspId).reduce((n, m) => n + m.stats.signaturesVerified, 0),
    signatureCacheHits: (mspId) =>
      msps.filter((m) => m.id === mspId).reduce((n, m) => n + m.stats.signatureCacheHits, 0),
    async close() {
      committer.close();
      await channels.close();
      await net.dispose();
    },
  };
}

/**
 * Defines `name` on the channel through a committed `_lifecycle` transaction (created by the admin,
 * endorsed by the peer, which satisfies LifecycleEndorsement on the one-org network). Throws
 * unless it is VALID.
 */
export async function defineChaincode(
  f: CommitterFixture,
  name: string,
  policy: Uint8Array,
  options: { plugin?: string; collections?: protos.ICollectionConfigPackage } = {},
): Promise<void> {
  const tx = await endorserTx({
    channelId: f.net.channelId,
    creator: f.net.identities.admin,
    endorsers: [f.net.identities.peer],
    chaincode: LIFECYCLE,
    version: '2.5',
    results: rwsetOf({ namespace: LIFECYCLE, writes: definitionWrites(name, policy, options) }),
  });
  const done = await f.committer.commitBlock(await f.blocks.next([tx.envelope]));
  if (done.validationCodes[0] !== (protos.TxValidationCode.VALID as number)) {
    throw new Error(
      `defining ${name} failed: ${protos.TxValidationCode[done.validationCodes[0]!] ?? done.validationCodes[0]}`,
    );
  }
}

/** The codes of a committed block by name. */
export function codeNames(codes: Uint8Array): string[] {
  return [...codes].map((c) => protos.TxValidationCode[c] ?? String(c));
}

/** The ledger height. */
export function heightOf(f: CommitterFixture): number {
  return Number(f.channel.ledger.getBlockchainInfo().height.toString());
}

export { common };
