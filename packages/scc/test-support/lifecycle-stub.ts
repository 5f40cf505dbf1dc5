/**
 * What the `_lifecycle` tests run on: a SystemChaincodeStub over a real TxSimulator with the
 * private data calls and the transaction query executor; an in-memory ChaincodePackageStore with
 * Fabric's package ids; helpers to call `_lifecycle` functions with real signed proposals and to
 * commit the results (with their private data) to a real ledger.
 */
import type {
  ChaincodeResponse,
  SystemChaincode,
  SystemChaincodeStateReader,
} from '@fabric-peer/api';
import {
  PackageError,
  packageId,
  parseChaincodePackage,
  type ChaincodePackageStore,
  type InstalledPackageInfo,
} from '@fabric-peer/chaincode-packages';
import type { ChannelRegistry } from '@fabric-peer/channel';
import { buildProposal } from '@fabric-peer/channel/test-support';
import type { TxSimulationResults, TxSimulator } from '@fabric-peer/ledger';
import type { protos } from '@fabric-peer/protos';
import { ChainBuilder, endorserTx } from '@fabric-peer/testkit';
import { SimulatorStub } from './stub.js';

const EMPTY = new Uint8Array(0);

/** A stub over a real simulator: public state, private data, and the simulator itself. */
export class LifecycleStub extends SimulatorStub {
  constructor(
    args: readonly Uint8Array[],
    signed: protos.ISignedProposal | undefined,
    channelId: string,
    txId: string,
    simulator: TxSimulator | undefined,
    namespace = '_lifecycle',
  ) {
    super(namespace, args, signed, channelId, txId, simulator);
  }

  async getPrivateData(collection: string, key: string): Promise<Uint8Array> {
    return (await this.sim().getPrivateData(this.namespace, collection, key)) ?? EMPTY;
  }
  async getPrivateDataHash(collection: string, key: string): Promise<Uint8Array> {
    return (await this.sim().getPrivateDataHash(this.namespace, collection, key)) ?? EMPTY;
  }
  putPrivateData(collection: string, key: string, value: Uint8Array): Promise<void> {
    return this.sim().setPrivateData(this.namespace, collection, key, value);
  }
  deletePrivateData(collection: string, key: string): Promise<void> {
    return this.sim().deletePrivateData(this.namespace, collection, key);
  }
  getTxQueryExecutor(): SystemChaincodeStateReader | undefined {
    return this.simulator;
  }
}

/** What one call returned, with the simulation's read-write sets. */
export interface LifecycleCall {
  readonly response: ChaincodeResponse;
  readonly txId: string;
  readonly results?: TxSimulationResults;
}

/** Who signs a proposal. */
export interface Signer {
  serialize(): Uint8Array;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/**
 * Calls `_lifecycle` function `fn` with `args` (already marshaled) by `signer`, with a stub over a
 * new simulator of `channelId` ('' for none). `rawArgs` replaces the two arguments.
 */
export async function callLifecycle(
  scc: SystemChaincode,
  channels: ChannelRegistry,
  spec: {
    readonly signer: Signer;
    readonly channelId: string;
    readonly fn: string;
    readonly args?: Uint8Array;
    readonly rawArgs?: readonly Uint8Array[];
  },
): Promise<LifecycleCall> {
  const enc = new TextEncoder();
  const args = spec.rawArgs ?? [enc.encode(spec.fn), spec.args ?? EMPTY];
  const built = await buildProposal({
    signer: spec.signer,
    channelId: spec.channelId,
    chaincode: '_lifecycle',
    args,
  });
  const channel = spec.channelId === '' ? undefined : channels.get(spec.channelId);
  const sim = channel === undefined ? undefined : await channel.ledger.newTxSimulator(built.txId);
  try {
    const stub = new LifecycleStub(args, built.signed, spec.channelId, built.txId, sim);
    const response = await scc.invoke(stub);
    const results = sim === undefined ? undefined : await sim.getTxSimulationResults();
    return { response, txId: built.txId, ...(results !== undefined ? { results } : {}) };
  } finally {
    sim?.done();
  }
}

/** Commits a call's results, with its private data, in a new block of the channel's ledger. */
export async function commitCall(
  channels: ChannelRegistry,
  channelId: string,
  call: LifecycleCall,
  options: { readonly withPrivateData?: boolean; readonly valid?: boolean } = {},
): Promise<void> {
  const ledger = channels.get(channelId)?.ledger;
  if (ledger === undefined) throw new Error(`no channel ${channelId}`);
  if (call.results === undefined) throw new Error('the call had no simulation');
  const last = await ledger.getBlockByNumber(Number(ledger.getBlockchainInfo().height) - 1);
  if (last === undefined) throw new Error('no last block');
  const block = ChainBuilder.after(last).block(
    [
      endorserTx(call.results.publicRwset, {
        txId: call.txId,
        channelId,
        chaincode: '_lifecycle',
      }),
    ],
    // 11: MVCC_READ_CONFLICT, a code the ledger keeps.
    options.valid === false ? Uint8Array.of(11) : undefined,
  );
  const pvt = call.results.privateRwset;
  await ledger.commit(
    block,
    options.withPrivateData !== false && pvt !== undefined ? { pvtData: new Map([[0, pvt]]) } : {},
  );
}

/** An in-memory ChaincodePackageStore with Fabric's package ids and messages. */
export class MemoryPackageStore implements ChaincodePackageStore {
  readonly packages = new Map<string, { info: InstalledPackageInfo; bytes: Uint8Array }>();

  install(bytes: Uint8Array): Promise<InstalledPackageInfo> {
    let label: string;
    try {
      label = parseChaincodePackage(bytes).metadata.label;
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const id = packageId(label, bytes);
    if (this.packages.has(id)) {
      return Promise.reject(
        new PackageError(
          'ALREADY_INSTALLED',
          `chaincode already successfully installed (package ID '${id}')`,
        ),
      );
    }
    const info = { packageId: id, label };
    this.packages.set(id, { info, bytes });
    return Promise.resolve(info);
  }

  load(id: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.packages.get(id)?.bytes);
  }

  list(): Promise<InstalledPackageInfo[]> {
    return Promise.resolve(
      [...this.packages.values()]
        .map((p) => p.info)
        .sort((a, b) => (a.packageId < b.packageId ? -1 : a.packageId > b.packageId ? 1 : 0)),
    );
  }

  /** Removes a package (as FileChaincodePackageStore.remove). */
  remove(id: string): Promise<boolean> {
    return Promise.resolve(this.packages.delete(id));
  }
}
