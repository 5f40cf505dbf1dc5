/**
 * What the system chaincode tests run on: a SystemChaincodeStub over a real TxSimulator (the
 * chaincode's namespace, reads of committed state, writes into the read-write set), built from a
 * real signed proposal; and an in-memory legacy chaincode store with Fabric's fingerprints.
 */
import { createHash } from 'node:crypto';
import type { SystemChaincode, SystemChaincodeStub, ChaincodeResponse } from '@fabric-peer/api';
import type { LegacyChaincode, LegacyChaincodeStore } from '@fabric-peer/chaincode-packages';
import { buildProposal, type ProposalSpec } from '@fabric-peer/channel/test-support';
import type { ChannelRegistry } from '@fabric-peer/channel';
import type { TxSimulator } from '@fabric-peer/ledger';
import { common, protos } from '@fabric-peer/protos';

const EMPTY = new Uint8Array(0);

export class SimulatorStub implements SystemChaincodeStub {
  readonly events: { name: string; payload: Uint8Array }[] = [];

  constructor(
    protected readonly namespace: string,
    private readonly args: readonly Uint8Array[],
    private readonly signed: protos.ISignedProposal | undefined,
    private readonly channelId: string,
    private readonly txId: string,
    protected readonly simulator: TxSimulator | undefined,
  ) {}

  getArgs(): readonly Uint8Array[] {
    return this.args;
  }
  getTxId(): string {
    return this.txId;
  }
  getChannelId(): string {
    return this.channelId;
  }
  getSignedProposal(): protos.ISignedProposal | undefined {
    return this.signed;
  }
  getCreator(): Uint8Array {
    if (this.signed === undefined) return EMPTY;
    const proposal = protos.Proposal.decode(this.signed.proposalBytes ?? EMPTY);
    const header = common.Header.decode(proposal.header ?? EMPTY);
    return common.SignatureHeader.decode(header.signatureHeader ?? EMPTY).creator ?? EMPTY;
  }
  getTransient(): ReadonlyMap<string, Uint8Array> {
    return new Map();
  }
  protected sim(): TxSimulator {
    // As the handler answers a chaincode without a ledger context.
    if (this.simulator === undefined) throw new Error('no ledger context');
    return this.simulator;
  }
  async getState(key: string): Promise<Uint8Array> {
    return (await this.sim().getState(this.namespace, key)) ?? EMPTY;
  }
  putState(key: string, value: Uint8Array): Promise<void> {
    return this.sim().setState(this.namespace, key, value);
  }
  deleteState(key: string): Promise<void> {
    return this.sim().deleteState(this.namespace, key);
  }
  async getStateByRange(
    startKey: string,
    endKey: string,
  ): Promise<{ readonly key: string; readonly value: Uint8Array }[]> {
    const it = await this.sim().getStateRangeScanIterator(this.namespace, startKey, endKey);
    const out: { key: string; value: Uint8Array }[] = [];
    try {
      for (let kv = await it.next(); kv !== undefined; kv = await it.next()) {
        out.push({ key: kv.key, value: kv.value });
      }
    } finally {
      await it.close();
    }
    return out;
  }
  setEvent(name: string, payload: Uint8Array): void {
    this.events.push({ name, payload });
  }
}

/** The outcome of one invocation through {@link invoke}. */
export interface Invocation {
  readonly response: ChaincodeResponse;
  readonly stub: SimulatorStub;
  /** The simulation's public read-write set, when there was a simulator. */
  readonly rwset?: Uint8Array;
}

/**
 * Builds and signs a proposal for `spec`, and invokes `scc` with a stub over a new simulator of
 * the proposal's channel (none for a channel-less proposal or `simulate: false`), released after.
 */
export async function invoke(
  scc: SystemChaincode,
  channels: ChannelRegistry,
  spec: Omit<ProposalSpec, 'chaincode'> & { readonly chaincode?: string },
  options: { readonly simulate?: boolean; readonly args?: readonly Uint8Array[] } = {},
): Promise<Invocation> {
  const built = await buildProposal({ ...spec, chaincode: spec.chaincode ?? scc.name });
  const enc = new TextEncoder();
  const args = options.args ?? spec.args.map((a) => (typeof a === 'string' ? enc.encode(a) : a));
  const channel = spec.channelId === '' ? undefined : channels.get(spec.channelId);
  const sim =
    channel !== undefined && options.simulate !== false
      ? await channel.ledger.newTxSimulator(built.txId)
      : undefined;
  try {
    const stub = new SimulatorStub(scc.name, args, built.signed, spec.channelId, built.txId, sim);
    const response = await scc.invoke(stub);
    const rwset = sim !== undefined ? (await sim.getTxSimulationResults()).publicRwset : undefined;
    return { response, stub, ...(rwset !== undefined ? { rwset } : {}) };
  } finally {
    sim?.done();
  }
}

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

function bytesField(no: number, value: Uint8Array): Uint8Array {
  return Uint8Array.from([(no << 3) | 2, value.length, ...value]);
}

/** A plain ChaincodeDeploymentSpec's bytes. */
export function deploymentSpec(
  name: string,
  version: string,
  options: {
    readonly code?: Uint8Array;
    readonly args?: readonly string[];
    readonly path?: string;
  } = {},
): Uint8Array {
  const enc = new TextEncoder();
  return protos.ChaincodeDeploymentSpec.encode({
    chaincodeSpec: {
      type: protos.ChaincodeSpec.Type.NODE,
      chaincodeId: { name, version, path: options.path ?? '/src/cc' },
      input: { args: (options.args ?? ['init']).map((a) => enc.encode(a)) },
    },
    ...(options.code !== undefined ? { codePackage: options.code } : {}),
  }).finish();
}

/**
 * An in-memory LegacyChaincodeStore for plain CDS bytes, with Fabric's CDSPackage fingerprint
 * (data = CDSData{sha256(code), sha256(name ‖ version)}, id = sha256(code hash ‖ metadata hash)).
 * `instantiationPolicy` marks a package as if installed as a signed CDS with that policy.
 */
export class MemoryLegacyStore implements LegacyChaincodeStore {
  readonly packages = new Map<string, LegacyChaincode>();

  install(bytes: Uint8Array, instantiationPolicy?: Uint8Array): Promise<LegacyChaincode> {
    const cds = protos.ChaincodeDeploymentSpec.decode(bytes);
    const id = cds.chaincodeSpec?.chaincodeId;
    const name = id?.name ?? '';
    const version = id?.version ?? '';
    const key = `${name}:${version}`;
    if (this.packages.has(key)) {
      return Promise.reject(new Error(`chaincode ${key} already exists`));
    }
    const codeHash = sha256(cds.codePackage ?? EMPTY);
    const metaHash = sha256(new TextEncoder().encode(name + version));
    const pkg: LegacyChaincode = {
      name,
      version,
      path: id?.path ?? '',
      type: 'NODE',
      id: sha256(codeHash, metaHash),
      data: Uint8Array.from([...bytesField(1, codeHash), ...bytesField(2, metaHash)]),
      deploymentSpec: bytes,
      ...(instantiationPolicy !== undefined ? { instantiationPolicy } : {}),
    };
    this.packages.set(key, pkg);
    return Promise.resolve(pkg);
  }

  get(name: string, version: string): Promise<LegacyChaincode | undefined> {
    return Promise.resolve(this.packages.get(`${name}:${version}`));
  }

  list(): Promise<LegacyChaincode[]> {
    return Promise.resolve(
      [...this.packages.values()].sort((a, b) =>
        a.name === b.name ? (a.version < b.version ? -1 : 1) : a.name < b.name ? -1 : 1,
      ),
    );
  }
}
