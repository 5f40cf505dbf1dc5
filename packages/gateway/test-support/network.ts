/**
 * A multi-organization test network for the gateway's tests: crypto for Org1MSP and Org2MSP (two
 * peers each, both on channel `mychannel`) and Org3MSP (not on the channel); peers that each have
 * their own ledger, channel manager and real Endorser (with a chaincode support whose chaincode is
 * a function, as the endorser's own tests do), optionally served over grpc-js; an ordering client
 * that "orders" each envelope into the next block of every peer's ledger; and the
 * `@hyperledger/fabric-gateway` client's identity and signer for any user.
 *
 * For tests only.
 */
import { createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { OrderingClient } from '@fabric-peer/api';
import {
  ChaincodeError,
  type ChaincodeDefinitionSource,
  type ChaincodeEndorsementInfo,
  type ChaincodeSupport,
  type ExecuteResult,
  type TransactionParams,
} from '@fabric-peer/chaincode';
import { ChannelManager } from '@fabric-peer/channel';
import { SAMPLE_ACLS, buildGenesisBlock, generateCrypto } from '@fabric-peer/devtools';
import { Endorser, endorserGrpcService } from '@fabric-peer/endorser';
import { DefaultEndorsement } from '@fabric-peer/handlers-default';
import { openLedgerManager, type KvLedger, type LedgerManager } from '@fabric-peer/ledger';
import { createMsp, loadMspFolder, type X509SigningIdentity } from '@fabric-peer/msp';
import { createAclProvider, envelopeSignedData, type AclProvider } from '@fabric-peer/policies';
import { common, protos, type orderer } from '@fabric-peer/protos';
import { memoryStateDatabaseProvider } from '@fabric-peer/statedb-testkit';
import { ChainBuilder, freePort, silentLoggers } from '@fabric-peer/testkit';
import { signers, type ConnectOptions } from '@hyperledger/fabric-gateway';

export const CHANNEL = 'mychannel';
export const ORGS = ['Org1MSP', 'Org2MSP'] as const;
export type OrgId = 'Org1MSP' | 'Org2MSP' | 'Org3MSP';

/** A user's MSP folder and what the fabric-gateway client needs from it. */
export interface TestUser {
  readonly mspId: OrgId;
  readonly mspDir: string;
  readonly signing: X509SigningIdentity;
  readonly certPem: string;
  readonly keyPem: string;
}

export interface GatewayTestNetwork {
  readonly dir: string;
  readonly genesis: Uint8Array;
  /** The crypto folder of an organization (`org1.example.com`...). */
  orgDir(org: OrgId): string;
  /** `peer<n>`'s MSP folder. */
  peerMspDir(org: OrgId, n: number): string;
  user(org: OrgId, name?: 'User1' | 'Admin'): Promise<TestUser>;
  dispose(): Promise<void>;
}

function domain(org: OrgId): string {
  return `${org.slice(0, 4).toLowerCase()}.example.com`;
}

/** Crypto for three organizations and a genesis block of `mychannel` with the first two. */
export async function makeGatewayNetwork(
  options: { acls?: Readonly<Record<string, string>> } = {},
): Promise<GatewayTestNetwork> {
  const dir = await mkdtemp(join(tmpdir(), 'fabric-peer-gw-'));
  const crypto = join(dir, 'crypto');
  await generateCrypto(
    {
      OrdererOrgs: [{ Name: 'Orderer', Domain: 'example.com', Specs: [{ Hostname: 'orderer' }] }],
      PeerOrgs: (['Org1', 'Org2', 'Org3'] as const).map((name) => ({
        Name: name,
        Domain: `${name.toLowerCase()}.example.com`,
        EnableNodeOUs: true,
        Template: { Count: 2 },
        Users: { Count: 1 },
      })),
    },
    crypto,
  );
  const orgDir = (org: OrgId): string => join(crypto, 'peerOrganizations', domain(org));
  const genesis = await buildGenesisBlock(
    {
      channel: CHANNEL,
      orgs: [
        {
          name: 'OrdererOrg',
          mspId: 'OrdererMSP',
          mspDir: join(crypto, 'ordererOrganizations', 'example.com', 'msp'),
          orderer: true,
          ordererEndpoints: ['127.0.0.1:7050'],
        },
        ...ORGS.map((mspId) => ({ mspId, mspDir: join(orgDir(mspId), 'msp') })),
      ],
      orderer: {
        consenters: [
          {
            host: '127.0.0.1',
            port: 7050,
            tlsCert: join(
              crypto,
              'ordererOrganizations',
              'example.com',
              'orderers',
              'orderer.example.com',
              'tls',
              'server.crt',
            ),
          },
        ],
      },
      capabilities: { application: ['V2_0'] },
      acls: { ...SAMPLE_ACLS, ...options.acls },
    },
    { baseDir: dir },
  );
  const users = new Map<string, Promise<TestUser>>();
  const loadUser = async (org: OrgId, name: string): Promise<TestUser> => {
    const mspDir = join(orgDir(org), 'users', `${name}@${domain(org)}`, 'msp');
    const certFile = (await readdir(join(mspDir, 'signcerts')))[0] ?? '';
    const keyFile = (await readdir(join(mspDir, 'keystore')))[0] ?? '';
    const signing = createMsp(loadMspFolder(mspDir, org, { signing: true }), {
      version: 'v1_4_3',
    }).defaultSigningIdentity();
    return {
      mspId: org,
      mspDir,
      signing,
      certPem: await readFile(join(mspDir, 'signcerts', certFile), 'utf8'),
      keyPem: await readFile(join(mspDir, 'keystore', keyFile), 'utf8'),
    };
  };
  return {
    dir,
    genesis: genesis.bytes,
    orgDir,
    peerMspDir: (org, n) => join(orgDir(org), 'peers', `peer${n}.${domain(org)}`, 'msp'),
    user: (org, name = 'User1') => {
      const key = `${org}/${name}`;
      let found = users.get(key);
      if (found === undefined) {
        found = loadUser(org, name);
        users.set(key, found);
      }
      return found;
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** What the fabric-gateway client's `connect` needs for a user. */
export function clientIdentity(user: TestUser): Pick<ConnectOptions, 'identity' | 'signer'> {
  return {
    identity: { mspId: user.mspId, credentials: Buffer.from(user.certPem) },
    signer: signers.newPrivateKeySigner(createPrivateKey(user.keyPem)),
  };
}

// ---- chaincode -----------------------------------------------------------------------------

export type ChaincodeFn = (params: TransactionParams, args: string[]) => Promise<ExecuteResult>;

const enc = new TextEncoder();
const dec = new TextDecoder();

export function reply(status: number, message = '', payload?: Uint8Array): protos.Response {
  return protos.Response.create({
    status,
    ...(message !== '' ? { message } : {}),
    ...(payload !== undefined ? { payload } : {}),
  });
}

/**
 * A test chaincode writing namespace `name`: `put k v` writes and sets event `put` (payload v);
 * `set k v` writes without an event; `pput coll k v` writes private data; `get k` reads; `fail msg` answers status 500; `random k`
 * writes a value that differs on every peer; `wait ms` answers after ms.
 */
export function keyValueChaincode(name: string): ChaincodeFn {
  return async (params, args) => {
    const sim = params.txSimulator;
    if (sim === undefined) throw new Error('no simulator');
    const [fn = '', a = '', b = ''] = args;
    switch (fn) {
      case 'put':
        await sim.setState(name, a, enc.encode(b));
        return {
          response: reply(200, '', enc.encode(`put ${a}`)),
          event: protos.ChaincodeEvent.create({
            chaincodeId: name,
            txId: params.txId,
            eventName: 'put',
            payload: enc.encode(b),
          }),
        };
      case 'set':
        await sim.setState(name, a, enc.encode(b));
        return { response: reply(200, '', enc.encode(`set ${a}`)) };
      case 'pput':
        await sim.setPrivateData(name, a, b, enc.encode(args[3] ?? ''));
        return { response: reply(200, '', enc.encode(`pput ${b}`)) };
      case 'get': {
        const value = await sim.getState(name, a);
        return { response: reply(200, '', value ?? new Uint8Array(0)) };
      }
      case 'fail':
        return { response: reply(500, a) };
      case 'random':
        await sim.setState(name, a, enc.encode(String(Math.random())));
        return { response: reply(200, '', enc.encode('random')) };
      case 'wait':
        await new Promise((resolve) => setTimeout(resolve, Number(a)));
        return { response: reply(200, '', enc.encode('waited')) };
      default:
        return { response: reply(500, `unknown function ${fn}`) };
    }
  };
}

/** ChaincodeSupport whose chaincodes are functions of their string arguments. */
export class FunctionChaincodeSupport implements ChaincodeSupport {
  readonly chaincodes = new Map<string, ChaincodeFn>([
    ['basic', keyValueChaincode('basic')],
    ['other', keyValueChaincode('other')],
  ]);
  /** Function names executed, in order. */
  readonly calls: string[] = [];

  execute(
    params: TransactionParams,
    name: string,
    input: protos.IChaincodeInput,
  ): Promise<ExecuteResult> {
    const args = (input.args ?? []).map((a) => dec.decode(a));
    this.calls.push(args[0] ?? '');
    const fn = this.chaincodes.get(name);
    if (fn === undefined) {
      return Promise.reject(
        new ChaincodeError('CHAINCODE_NOT_INSTALLED', `chaincode ${name} is not installed`),
      );
    }
    return fn(params, args);
  }

  executeLegacyInit(): Promise<ExecuteResult> {
    return Promise.reject(new Error('not used'));
  }

  launch(): Promise<void> {
    return Promise.resolve();
  }
}

/** Every chaincode of the support is defined, version 1.0, escc. */
class Definitions implements ChaincodeDefinitionSource {
  constructor(private readonly names: ReadonlyMap<string, unknown>) {}

  endorsementInfo(_channelId: string, name: string): Promise<ChaincodeEndorsementInfo> {
    if (!this.names.has(name)) {
      return Promise.reject(
        new ChaincodeError('CHAINCODE_NOT_DEFINED', `namespace ${name} is not defined`),
      );
    }
    return Promise.resolve({
      version: '1.0',
      enforceInit: false,
      endorsementPlugin: 'escc',
      chaincodeId: `${name}_1.0:0000`,
    });
  }
}

// ---- peers ---------------------------------------------------------------------------------

/** One peer: its ledger, channels, ACLs and real Endorser. */
export interface TestPeer {
  readonly mspId: OrgId;
  readonly name: string;
  readonly identity: X509SigningIdentity;
  readonly channels: ChannelManager;
  readonly acl: AclProvider;
  readonly endorser: Endorser;
  readonly chaincode: FunctionChaincodeSupport;
  ledger(): KvLedger;
  close(): Promise<void>;
}

export async function startPeer(
  net: GatewayTestNetwork,
  mspId: OrgId,
  n: number,
): Promise<TestPeer> {
  const mspDir = net.peerMspDir(mspId, n);
  const local = createMsp(loadMspFolder(mspDir, mspId, { signing: true }), {
    version: 'v1_4_3',
  });
  const identity = local.defaultSigningIdentity();
  const provider = memoryStateDatabaseProvider();
  const ledgers: LedgerManager = await openLedgerManager({
    fileSystemPath: join(net.dir, `production-${mspId}-${n}`),
    stateDatabaseProvider: provider,
  });
  const channels = new ChannelManager({ ledgers });
  await channels.restore();
  if (channels.get(CHANNEL) === undefined) await channels.join(common.Block.decode(net.genesis));
  const localMsp = {
    mspId,
    deserializeIdentity: (b: Uint8Array) => local.deserializeIdentity(b),
  };
  const acl = createAclProvider({ bundles: (id) => channels.get(id)?.bundle(), localMsp });
  const chaincode = new FunctionChaincodeSupport();
  const endorser = new Endorser({
    channels,
    chaincodeSupport: chaincode,
    definitions: new Definitions(chaincode.chaincodes),
    acl,
    localMsp,
    signer: identity,
    decorators: [],
    endorsementPlugin: (name) =>
      Promise.resolve(name === 'escc' ? new DefaultEndorsement() : undefined),
    systemChaincodes: new Set(['lscc', 'qscc', 'cscc', '_lifecycle']),
    logger: silentLoggers('endorser'),
  });
  return {
    mspId,
    name: `peer${n}.${domain(mspId)}`,
    identity,
    channels,
    acl,
    endorser,
    chaincode,
    ledger: () => {
      const channel = channels.get(CHANNEL);
      if (channel === undefined) throw new Error('not joined');
      return channel.ledger;
    },
    async close() {
      channels.close();
      await ledgers.close();
      await provider.close();
    },
  };
}

/** A grpc-js server on 127.0.0.1 with the given services; `address` is `127.0.0.1:<port>`. */
export interface TestServer {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function serve(
  services: readonly [grpc.ServiceDefinition, grpc.UntypedServiceImplementation][],
  tls?: { readonly certPem: string; readonly keyPem: string },
  port?: number,
): Promise<TestServer> {
  const server = new grpc.Server();
  for (const [definition, implementation] of services)
    server.addService(definition, implementation);
  const credentials =
    tls === undefined
      ? grpc.ServerCredentials.createInsecure()
      : grpc.ServerCredentials.createSsl(null, [
          { cert_chain: Buffer.from(tls.certPem), private_key: Buffer.from(tls.keyPem) },
        ]);
  const address = `127.0.0.1:${port ?? (await freePort())}`;
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Streams still open would hold tryShutdown back.
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 200).unref();
      }),
  };
}

/** Serves a peer's endorser (as the Endorser service of its listener). */
export function serveEndorser(
  peer: TestPeer,
  tls?: { readonly certPem: string; readonly keyPem: string },
): Promise<TestServer> {
  return serve([endorserGrpcService(peer.endorser)], tls);
}

// ---- ordering ------------------------------------------------------------------------------

/** What the ordering client does with the next broadcast. */
export type OrdererBehaviour =
  | { readonly kind: 'order' }
  | { readonly kind: 'status'; readonly status: number; readonly info: string }
  | { readonly kind: 'throw'; readonly error: Error }
  | { readonly kind: 'hang' };

/**
 * An OrderingClient that checks the envelope's signature against `/Channel/Writers` (as an
 * orderer does, answering FORBIDDEN) and "orders" it: the envelope becomes the next block of
 * every peer's ledger, committed after the broadcast answered (a real orderer cuts blocks later
 * too). `hold` keeps blocks back until `release()`. `codes` forces a transaction's validation code.
 */
export class LedgerOrderer implements OrderingClient {
  behaviour: OrdererBehaviour = { kind: 'order' };
  hold = false;
  readonly codes = new Map<string, number>();
  /** The validation code of transactions `codes` does not name. */
  defaultCode: number = protos.TxValidationCode.VALID;
  readonly broadcasts: common.Envelope[] = [];
  #held: Uint8Array[] = [];
  #queue: Promise<void> = Promise.resolve();
  readonly #hanging = new Set<() => void>();

  constructor(private readonly peers: () => readonly TestPeer[]) {}

  async broadcast(
    channelId: string,
    envelope: common.Envelope.$Properties,
  ): Promise<orderer.BroadcastResponse.$Properties> {
    const behaviour = this.behaviour;
    if (behaviour.kind === 'throw') throw behaviour.error;
    if (behaviour.kind === 'status') return { status: behaviour.status, info: behaviour.info };
    if (behaviour.kind === 'hang') {
      return new Promise((resolve) =>
        this.#hanging.add(() => resolve({ status: common.Status.SERVICE_UNAVAILABLE })),
      );
    }
    const first = this.peers()[0];
    const channel = first?.channels.get(channelId);
    if (channel === undefined) return { status: common.Status.NOT_FOUND, info: 'no channel' };
    const env = common.Envelope.create(envelope);
    try {
      const writers = channel.bundle().policyManager.requirePolicy('/Channel/Writers');
      await writers.evaluateSignedData([envelopeSignedData(env)]);
    } catch (err) {
      return { status: common.Status.FORBIDDEN, info: `broadcast not authorized: ${String(err)}` };
    }
    this.broadcasts.push(env);
    const bytes = common.Envelope.encode(env).finish();
    if (this.hold) this.#held.push(bytes);
    else this.#commit([bytes]);
    return { status: common.Status.SUCCESS };
  }

  /** Commits the held envelopes, one block each; resolves once committed everywhere. */
  release(): Promise<void> {
    const held = this.#held;
    this.#held = [];
    for (const bytes of held) this.#commit([bytes]);
    return this.#queue;
  }

  /** Resolves once every block ordered so far is committed. */
  settled(): Promise<void> {
    return this.#queue;
  }

  /** Ends hanging broadcasts. */
  unhang(): void {
    for (const end of this.#hanging) end();
    this.#hanging.clear();
  }

  #commit(envelopes: Uint8Array[]): void {
    this.#queue = this.#queue.then(async () => {
      const peers = this.peers();
      const ledger = peers[0]?.ledger();
      if (ledger === undefined) return;
      const height = Number(ledger.getBlockchainInfo().height);
      const last = await ledger.getBlockByNumber(height - 1);
      if (last === undefined) throw new Error('no last block');
      const filter = new Uint8Array(
        envelopes.map((bytes) => {
          const payload = common.Payload.decode(common.Envelope.decode(bytes).payload);
          const header = common.ChannelHeader.decode(
            payload.header?.channelHeader ?? new Uint8Array(0),
          );
          return this.codes.get(header.txId) ?? this.defaultCode;
        }),
      );
      const block = ChainBuilder.after(last).block(envelopes, filter);
      for (const peer of peers) await peer.ledger().commit(block);
    });
  }

  deliver(): AsyncIterable<orderer.DeliverResponse.$Properties> {
    throw new Error('the test orderer does not deliver');
  }
}
