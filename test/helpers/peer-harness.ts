/**
 * A whole peer in the test process, started from a core.yaml written for the test: the sample
 * configuration with a fresh one-organization network (crypto + genesis block from devtools), free
 * ports on 127.0.0.1, and the runtimes, handlers and plugins the test names. Administrative calls
 * (join, install, deploy) go through the peer's Endorser over gRPC like any client's.
 *
 * There is no ordering service yet, so {@link PeerHarness.commit} writes an endorsed transaction
 * straight to the channel's ledger as the next block (every transaction marked VALID): tests that
 * use it say so. The peer runs in the test process so that it can do that.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { parseDocument } from 'yaml';
import { loadConfig } from '@fabric-peer/config';
import { LoggingSystem } from '@fabric-peer/logging';
import { ChannelsService, PeerNode } from '@fabric-peer/node';
import { common, EndorserService, protos } from '@fabric-peer/protos';
import { ChainBuilder, freePort } from '@fabric-peer/testkit';
import type { CapabilityList } from '@fabric-peer/devtools';
import {
  buildProposal,
  makeTestNetwork,
  ORG_MSP_ID,
  type BuiltProposal,
  type ProposalSpec,
  type TestNetwork,
} from '@fabric-peer/channel/test-support';
import type { Channel } from '@fabric-peer/channel';
import { sampleConfig } from './paths.js';

export interface PluginRefYaml {
  readonly name: string;
  readonly library?: string | null;
}

export interface PeerHarnessOptions {
  /** `vm.providers`; default the sample's (inprocess). */
  readonly vmProviders?: readonly PluginRefYaml[];
  /** The channel's application capabilities; default V1_4_2 (legacy lscc deploy allowed). */
  readonly applicationCapabilities?: CapabilityList;
  /** `ledger.state.*`: default LevelDB. */
  readonly couchDbAddress?: string;
  readonly authFilters?: readonly PluginRefYaml[];
  readonly decorators?: readonly PluginRefYaml[];
  /** `plugins:` entries. */
  readonly plugins?: readonly { library: string; options?: Record<string, unknown> }[];
  /** Extra dotted keys set in core.yaml (e.g. `chaincode.executetimeout: 3s`). */
  readonly set?: Readonly<Record<string, unknown>>;
  /** The channel's name; default `mychannel`. */
  readonly channelId?: string;
  /** FABRIC_LOGGING_SPEC of the peer; default warning. */
  readonly logSpec?: string;
}

const build = { Version: 'v0.0.0-test', CommitSHA: 'test' };

export class PeerHarness {
  readonly #client: grpc.Client;

  private constructor(
    readonly net: TestNetwork,
    readonly node: PeerNode,
    readonly logs: string[],
    readonly address: string,
    readonly configFile: string,
    /** `http://127.0.0.1:<port>` of the operations server. */
    readonly operationsUrl: string,
    /** `127.0.0.1:<port>` of the chaincode listener. */
    readonly chaincodeAddress: string,
  ) {
    const Client = grpc.makeGenericClientConstructor(EndorserService, 'Endorser');
    this.#client = new Client(address, grpc.credentials.createInsecure());
  }

  static async start(options: PeerHarnessOptions = {}): Promise<PeerHarness> {
    const net = await makeTestNetwork({
      applicationCapabilities: options.applicationCapabilities ?? ['V1_4_2'],
      ...(options.channelId !== undefined ? { channelId: options.channelId } : {}),
    });
    const [peerPort, ccPort, opsPort] = [await freePort(), await freePort(), await freePort()];
    const doc = parseDocument(readFileSync(sampleConfig, 'utf8'));
    const set = (path: string, value: unknown) => doc.setIn(path.split('.'), value);
    set('peer.id', 'peer0.org1.example.com');
    set('peer.fileSystemPath', join(net.dir, 'production'));
    set('peer.mspConfigPath', net.peerMspDir);
    set('peer.localMspId', ORG_MSP_ID);
    set('peer.listenAddress', `127.0.0.1:${peerPort}`);
    set('peer.address', `127.0.0.1:${peerPort}`);
    set('peer.chaincodeListenAddress', `127.0.0.1:${ccPort}`);
    set('peer.chaincodeAddress', `127.0.0.1:${ccPort}`);
    set('operations.listenAddress', `127.0.0.1:${opsPort}`);
    set('metrics.provider', 'disabled');
    if (options.vmProviders) set('vm.providers', options.vmProviders.map(ref));
    if (options.authFilters) set('peer.handlers.authFilters', options.authFilters.map(ref));
    if (options.decorators) set('peer.handlers.decorators', options.decorators.map(ref));
    if (options.plugins) set('plugins', options.plugins);
    if (options.couchDbAddress) {
      set('ledger.state.stateDatabase', 'CouchDB');
      set('ledger.state.couchDBConfig.couchDBAddress', options.couchDbAddress);
    }
    for (const [key, value] of Object.entries(options.set ?? {})) set(key, value);
    const configFile = join(net.dir, 'core.yaml');
    writeFileSync(configFile, doc.toString());
    return PeerHarness.#run(net, configFile, options.logSpec ?? 'warning', {
      address: `127.0.0.1:${peerPort}`,
      operationsUrl: `http://127.0.0.1:${opsPort}`,
      chaincodeAddress: `127.0.0.1:${ccPort}`,
    });
  }

  static async #run(
    net: TestNetwork,
    configFile: string,
    logSpec: string,
    at: { address: string; operationsUrl: string; chaincodeAddress: string },
  ): Promise<PeerHarness> {
    const logs: string[] = [];
    const logging = new LoggingSystem({
      spec: logSpec,
      format: 'json',
      writer: { write: (chunk: string) => logs.push(chunk) },
    });
    const node = await PeerNode.create({
      config: loadConfig({ path: configFile, env: {} }),
      loggerFactory: (module) => logging.logger(module),
      logSpec: logging,
      build,
    });
    await node.start();
    return new PeerHarness(
      net,
      node,
      logs,
      at.address,
      configFile,
      at.operationsUrl,
      at.chaincodeAddress,
    );
  }

  /**
   * Stops this peer (its files stay) and starts it again on the same configuration, as an
   * operator's restart does; use the returned harness from then on.
   */
  async restart(logSpec = 'warning'): Promise<PeerHarness> {
    this.#client.close();
    await this.node.stop();
    return PeerHarness.#run(this.net, this.configFile, logSpec, this);
  }

  /** A joined channel of the peer. */
  channel(channelId = this.net.channelId): Channel {
    const channel = this.node.kernel.container.get(ChannelsService).registry.get(channelId);
    if (!channel) throw new Error(`the peer has not joined ${channelId}`);
    return channel;
  }

  /** Sends a signed proposal to the peer's Endorser service. */
  processProposal(
    signed: protos.ISignedProposal,
    timeoutMs = 60_000,
  ): Promise<protos.ProposalResponse> {
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(
        EndorserService.processProposal.path,
        EndorserService.processProposal.requestSerialize,
        EndorserService.processProposal.responseDeserialize,
        signed,
        { deadline: Date.now() + timeoutMs },
        (err, res) =>
          err || !res
            ? reject(err ?? new Error('no response'))
            : resolve(res as protos.ProposalResponse),
      );
    });
  }

  /** Builds a proposal (signed by the org's admin unless another signer is given) and sends it. */
  async propose(
    spec: Omit<ProposalSpec, 'signer'> & { signer?: ProposalSpec['signer'] },
  ): Promise<{ built: BuiltProposal; response: protos.ProposalResponse }> {
    const built = await buildProposal({ signer: this.net.identities.admin, ...spec });
    return { built, response: await this.processProposal(built.signed) };
  }

  /** cscc JoinChain with the network's genesis block, as `peer channel join` does. */
  async joinChannel(): Promise<void> {
    const { response } = await this.propose({
      channelId: '',
      chaincode: 'cscc',
      args: ['JoinChain', this.net.genesis],
    });
    expectOk(response, 'JoinChain');
  }

  /** lscc install of a ChaincodeDeploymentSpec, as `peer chaincode install` does. */
  async installLegacy(deploymentSpec: Uint8Array): Promise<void> {
    const { response } = await this.propose({
      channelId: '',
      chaincode: 'lscc',
      args: ['install', deploymentSpec],
    });
    expectOk(response, 'lscc install');
  }

  /**
   * Commits transactions straight to the channel's ledger as its next block, each marked VALID
   * unless `filter` says otherwise (no ordering service exists yet; nothing is validated).
   */
  async commit(
    envelopes: readonly (Uint8Array | { payload: Uint8Array; signature: Uint8Array })[],
    options: { channelId?: string; filter?: Uint8Array } = {},
  ): Promise<common.Block> {
    const ledger = this.channel(options.channelId).ledger;
    const height = Number(ledger.getBlockchainInfo().height);
    const previous = await ledger.getBlockByNumber(height - 1);
    if (!previous) throw new Error(`block ${height - 1} is missing`);
    const bytes = envelopes.map((e) =>
      e instanceof Uint8Array ? e : common.Envelope.encode(e).finish(),
    );
    const block = ChainBuilder.after(previous).block(bytes, options.filter);
    await ledger.commit(block);
    return block;
  }

  /** The envelope a client makes of a proposal and its endorsement, signed by the proposer. */
  static async envelopeOf(
    built: BuiltProposal,
    response: protos.IProposalResponse,
    signer: ProposalSpec['signer'],
  ): Promise<{ payload: Uint8Array; signature: Uint8Array }> {
    const proposal = built.proposal;
    const header = common.Header.decode(proposal.header);
    const ccPayload = protos.ChaincodeProposalPayload.decode(proposal.payload);
    const action = protos.ChaincodeActionPayload.encode({
      chaincodeProposalPayload: protos.ChaincodeProposalPayload.encode({
        input: ccPayload.input,
      }).finish(),
      action: { proposalResponsePayload: response.payload, endorsements: [response.endorsement!] },
    }).finish();
    const tx = protos.Transaction.encode({
      actions: [{ header: header.signatureHeader, payload: action }],
    }).finish();
    const payload = common.Payload.encode({ header, data: tx }).finish();
    return { payload, signature: await signer.sign(payload) };
  }

  /** Log records of the peer at or above the harness's level. */
  records(): Record<string, unknown>[] {
    return this.logs
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  async stop(): Promise<void> {
    this.#client.close();
    await this.node.stop();
    await this.net.dispose();
  }
}

function ref(r: PluginRefYaml): { name: string; library: string | null } {
  return { name: r.name, library: r.library ?? null };
}

/** Throws with the peer's message unless the response is a success. */
export function expectOk(response: protos.IProposalResponse, what: string): void {
  const status = response.response?.status ?? 0;
  if (status !== 200) {
    throw new Error(`${what}: status ${status}: ${response.response?.message ?? ''}`);
  }
}

/** The deploy (or upgrade) proposal `peer chaincode instantiate` sends: a CDS without code. */
export function legacyDeployArgs(options: {
  readonly channelId: string;
  readonly name: string;
  readonly version: string;
  readonly init: readonly string[];
  readonly policy: Uint8Array;
  readonly upgrade?: boolean;
}): Uint8Array[] {
  const enc = new TextEncoder();
  const cds = protos.ChaincodeDeploymentSpec.encode({
    chaincodeSpec: {
      type: protos.ChaincodeSpec.Type.NODE,
      chaincodeId: { name: options.name, version: options.version },
      input: { args: options.init.map((a) => enc.encode(a)) },
    },
  }).finish();
  return [
    enc.encode(options.upgrade ? 'upgrade' : 'deploy'),
    enc.encode(options.channelId),
    cds,
    options.policy,
    enc.encode('escc'),
    enc.encode('vscc'),
  ];
}
