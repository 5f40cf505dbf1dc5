/**
 * A peer's chaincode side for tests: a real test network and ledger (channel test-support), the
 * real ACL provider and MSP, ChaincodeSupportImpl served on a real grpc-js server on a free port,
 * and the process runtime of `process-vm.ts` running real fabric-shim chaincode.
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger, VmProvider } from '@fabric-peer/api';
import {
  buildProposal,
  makeTestNetwork,
  openTestChannels,
  type TestChannels,
  type TestNetwork,
  type TestNetworkOptions,
} from '@fabric-peer/channel/test-support';
import { buildGenesisBlock } from '@fabric-peer/devtools';
import type { TxSimulationResults, TxSimulator } from '@fabric-peer/ledger';
import { createMsp, loadMspFolder } from '@fabric-peer/msp';
import { createAclProvider, type AclProvider } from '@fabric-peer/policies';
import { common } from '@fabric-peer/protos';
import {
  ChainBuilder,
  endorserTx,
  freePort,
  recordingLoggers,
  type LogRecord,
} from '@fabric-peer/testkit';
import { ChaincodeSupportImpl, type ChaincodeSupportOptions } from '../src/support.js';
import { DEFAULT_CHAINCODE_SETTINGS, type ChaincodeSettings } from '../src/settings.js';
import type {
  ChaincodeDefinitionSource,
  ChaincodeEndorsementInfo,
  ExecuteResult,
  TransactionParams,
} from '../src/types.js';
import { ChaincodeError } from '../src/errors.js';
import { MapInstalledChaincodes, ProcessVmProvider } from './process-vm.js';

/** Definitions from a table (the real sources are lscc's and `_lifecycle`'s). */
export class MapDefinitions implements ChaincodeDefinitionSource {
  readonly table = new Map<string, ChaincodeEndorsementInfo>();
  define(name: string, chaincodeId: string, extra: Partial<ChaincodeEndorsementInfo> = {}): this {
    this.table.set(name, {
      version: '1.0',
      enforceInit: false,
      endorsementPlugin: 'escc',
      chaincodeId,
      ...extra,
    });
    return this;
  }
  endorsementInfo(_channel: string, name: string): Promise<ChaincodeEndorsementInfo> {
    const info = this.table.get(name);
    if (info === undefined) {
      return Promise.reject(
        new ChaincodeError('CHAINCODE_NOT_DEFINED', `chaincode ${name} not found`),
      );
    }
    return Promise.resolve(info);
  }
}

export interface TestPeerOptions {
  readonly network?: TestNetworkOptions;
  readonly settings?: Partial<ChaincodeSettings>;
  readonly tls?: boolean;
  /** Also join a second channel `otherchannel` made from the same organizations. */
  readonly otherChannel?: boolean;
  readonly support?: Partial<ChaincodeSupportOptions>;
}

export interface InvokeOptions {
  readonly channelId?: string;
  readonly isInit?: boolean;
  /** Keep the simulator open (the caller calls done()). */
  readonly keepSimulator?: boolean;
  /** Endorsement info the caller already read (as the endorser passes it). */
  readonly endorsementInfo?: TransactionParams['endorsementInfo'];
}

export interface InvokeOutcome {
  readonly result: ExecuteResult;
  readonly txId: string;
  readonly simulator: TxSimulator;
  results(): Promise<TxSimulationResults>;
}

export class TestPeer {
  readonly installed = new MapInstalledChaincodes();
  readonly definitions = new MapDefinitions();
  readonly vm = new ProcessVmProvider();
  /** Runtimes before the process runtime (tests add their own). */
  readonly extraRuntimes: VmProvider[] = [];
  readonly logs: LogRecord[];
  readonly logger: Logger;
  support!: ChaincodeSupportImpl;
  acl!: AclProvider;
  port = 0;
  private server: grpc.Server | undefined;

  private constructor(
    readonly net: TestNetwork,
    readonly tc: TestChannels,
  ) {
    const rec = recordingLoggers();
    this.logs = rec.records;
    this.logger = rec.factory('chaincode');
  }

  static async start(options: TestPeerOptions = {}): Promise<TestPeer> {
    const net = await makeTestNetwork(options.network);
    const tc = await openTestChannels(net);
    const peer = new TestPeer(net, tc);
    try {
      if (options.otherChannel === true) await peer.joinOtherChannel();
      await peer.init(options);
    } catch (err) {
      await peer.close();
      throw err;
    }
    return peer;
  }

  private async joinOtherChannel(): Promise<void> {
    const dir = this.net.dir;
    const orgDir = join(dir, 'crypto', 'peerOrganizations', 'org1.example.com');
    const genesis = await buildGenesisBlock(
      {
        channel: 'otherchannel',
        orgs: [
          {
            name: 'OrdererOrg',
            mspId: 'OrdererMSP',
            mspDir: join(dir, 'crypto', 'ordererOrganizations', 'example.com', 'msp'),
            orderer: true,
            ordererEndpoints: ['127.0.0.1:7050'],
          },
          { name: 'Org1MSP', mspId: 'Org1MSP', mspDir: join(orgDir, 'msp') },
        ],
        orderer: {
          consenters: [
            {
              host: '127.0.0.1',
              port: 7050,
              tlsCert: join(
                dir,
                'crypto',
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
      },
      { baseDir: dir },
    );
    await this.tc.channels.join(common.Block.decode(genesis.bytes));
  }

  private async init(options: TestPeerOptions): Promise<void> {
    const local = createMsp(loadMspFolder(this.net.peerMspDir, 'Org1MSP', { signing: true }), {
      version: 'v1_4_3',
    });
    this.acl = createAclProvider({
      bundles: (id) => this.tc.channels.get(id)?.bundle(),
      localMsp: { mspId: local.id, deserializeIdentity: (b) => local.deserializeIdentity(b) },
    });
    this.port = await freePort();
    const settings: ChaincodeSettings = {
      ...DEFAULT_CHAINCODE_SETTINGS,
      startupTimeoutMs: 15_000,
      executeTimeoutMs: 10_000,
      peerAddress: `127.0.0.1:${this.port}`,
      tlsEnabled: options.tls === true,
      ...options.settings,
    };
    this.support = new ChaincodeSupportImpl({
      definitions: this.definitions,
      installed: this.installed,
      channels: this.tc.channels,
      acl: this.acl,
      runtimes: () => [...this.extraRuntimes, this.vm],
      settings,
      logger: this.logger,
      ...options.support,
    });
    await this.support.start();
    const server = new grpc.Server();
    server.addService(...this.support.grpcService());
    let creds = grpc.ServerCredentials.createInsecure();
    if (options.tls === true) {
      const pair = await this.support.listenerCertificate('127.0.0.1');
      creds = grpc.ServerCredentials.createSsl(
        Buffer.from(this.support.tlsRootCertPem()!),
        [{ private_key: Buffer.from(pair.keyPem), cert_chain: Buffer.from(pair.certPem) }],
        true,
      );
    }
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${this.port}`, creds, (err) => (err ? reject(err) : resolve())),
    );
    this.server = server;
  }

  /** Runs `name` with a real signed proposal and a simulator of the channel's ledger. */
  async invoke(
    name: string,
    args: readonly string[],
    options: InvokeOptions = {},
  ): Promise<InvokeOutcome> {
    const channelId = options.channelId ?? this.net.channelId;
    const built = await buildProposal({
      signer: this.net.identities.user,
      channelId,
      chaincode: name,
      args,
      ...(options.isInit === true ? { isInit: true } : {}),
    });
    const ledger = this.tc.channels.get(channelId)!.ledger;
    const simulator = await ledger.newTxSimulator(built.txId);
    const hqe = ledger.newHistoryQueryExecutor();
    try {
      const result = await this.support.execute(
        {
          txId: built.txId,
          channelId,
          namespaceId: name,
          signedProposal: built.signed,
          proposal: built.proposal,
          txSimulator: simulator,
          ...(hqe !== undefined ? { historyQueryExecutor: hqe } : {}),
          ...(options.endorsementInfo !== undefined
            ? { endorsementInfo: options.endorsementInfo }
            : {}),
        },
        name,
        { args: args.map((a) => Buffer.from(a)), isInit: options.isInit === true },
      );
      let results: Promise<TxSimulationResults> | undefined;
      return {
        result,
        txId: built.txId,
        simulator,
        results: () => (results ??= simulator.getTxSimulationResults()),
      };
    } finally {
      if (options.keepSimulator !== true) simulator.done();
    }
  }

  /** Invokes and commits the transaction's public writes in a block of its own. */
  async invokeAndCommit(
    name: string,
    args: readonly string[],
    options: InvokeOptions = {},
  ): Promise<InvokeOutcome> {
    const outcome = await this.invoke(name, args, options);
    const channelId = options.channelId ?? this.net.channelId;
    const ledger = this.tc.channels.get(channelId)!.ledger;
    const rw = await outcome.results();
    const info = ledger.getBlockchainInfo();
    const last = await ledger.getBlockByNumber(Number(info.height) - 1);
    const block = ChainBuilder.after(last!).block([
      endorserTx(rw.publicRwset, { txId: outcome.txId, channelId, chaincode: name }),
    ]);
    await ledger.commit(block);
    return outcome;
  }

  async close(): Promise<void> {
    await this.support?.stop();
    await this.vm.stopAll();
    await new Promise<void>((resolve) => {
      if (this.server === undefined) resolve();
      else this.server.tryShutdown(() => resolve());
    });
    this.server?.forceShutdown();
    await this.tc.close();
    await this.net.dispose();
  }
}

/** The response payload as text. */
export function payloadText(outcome: InvokeOutcome): string {
  return Buffer.from(outcome.result.response.payload).toString('utf8');
}
