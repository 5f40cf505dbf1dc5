/**
 * The Endorser (Fabric's core/endorser/endorser.go): checks a signed proposal, simulates it with
 * the chaincode against the channel's ledger, and endorses the result with the chaincode's
 * endorsement plugin.
 *
 * What comes back how, as in Fabric: a proposal that does not unpack, fails validation (headers,
 * txid, creator, signature), repeats a committed txid or fails the `peer/Propose` ACL is refused
 * with an {@link EndorserError} (a gRPC error at the service edge). An unknown channel and every
 * failure after the checks (definition lookup, chaincode, endorsement plugin) resolve with a
 * ProposalResponse of status 500 and the message.
 */
import type {
  CallContext,
  Decorator,
  EndorsementPlugin,
  Identity,
  IdentityDeserializer,
  Logger,
  MetricsProvider,
  ProposalProcessor,
  Signer,
} from '@fabric-peer/api';
import type {
  ChaincodeDefinitionSource,
  ChaincodeEndorsementInfo,
  ChaincodeSupport,
  ExecuteResult,
  TransactionParams,
} from '@fabric-peer/chaincode';
import type { Channel, ChannelRegistry } from '@fabric-peer/channel';
import type { HistoryQueryExecutor, QueryExecutor, TxSimulator } from '@fabric-peer/ledger';
import type { AclProvider } from '@fabric-peer/policies';
import { protos, type rwset } from '@fabric-peer/protos';
import { EndorserError, messageOf } from './errors.js';
import { buildChaincodeInterest } from './interest.js';
import { endorserMetrics, type EndorserMetrics } from './metrics.js';
import { unpackProposal, validateProposal, type UnpackedProposal } from './unpack.js';
import { goEventBytes, goResponse, proposalResponsePayloadBytes } from './wire.js';

/** shim.ERRORTHRESHOLD: a response status from here on is not endorsed. */
const ERROR_THRESHOLD = 400;
/** shim.ERROR. */
const ERROR = 500;
const PEER_PROPOSE = 'peer/Propose';
/** System chaincodes that proposals cannot invoke (Fabric v1.4's IsSysCCAndNotInvokableExternal). */
const NOT_INVOKABLE = new Set(['escc', 'vscc']);

/**
 * Sends a transaction's private write set to the peers that must hold it (Fabric's
 * PrivateDataDistributor: gossip plus the local transient store). Without one, the endorser still
 * endorses (the public read-write set carries the hashes), but the private writes go nowhere: the
 * committing peers will find them missing and must reconcile them.
 */
export interface PrivateDataDistributor {
  distributePrivateData(request: {
    readonly channelId: string;
    readonly txId: string;
    readonly privateRwset: Uint8Array;
    readonly privateRwsetProto: rwset.TxPvtReadWriteSet;
    /** The ledger height at endorsement (Fabric's EndorsedAt). */
    readonly endorsedAt: number;
  }): Promise<void>;
}

export interface EndorserOptions {
  readonly channels: ChannelRegistry;
  readonly chaincodeSupport: ChaincodeSupport;
  readonly definitions: ChaincodeDefinitionSource;
  readonly acl: AclProvider;
  /** The local MSP: deserializes creators of channel-less proposals. */
  readonly localMsp: IdentityDeserializer;
  /** The peer's signing identity, handed to endorsement plugins. */
  readonly signer: Signer;
  /** In `peer.handlers.decorators` order. */
  readonly decorators: readonly Decorator[];
  /**
   * A new endorsement plugin for `name` (`peer.handlers.endorsers`) on a channel, or undefined when
   * no plugin has that name. The endorser creates and initialises one per (name, channel).
   */
  readonly endorsementPlugin: (
    name: string,
    channelId: string,
  ) => Promise<EndorsementPlugin | undefined>;
  /** Names of the system chaincodes (Fabric's builtin SCCs). */
  readonly systemChaincodes: ReadonlySet<string>;
  readonly privateData?: PrivateDataDistributor;
  readonly logger: Logger;
  readonly metrics?: MetricsProvider;
}

/** What simulation produced. */
interface Simulation {
  readonly response: protos.IResponse;
  readonly event?: protos.IChaincodeEvent;
  readonly results?: Uint8Array;
  readonly interest?: protos.IChaincodeInterest;
}

function labels(channel: string, chaincode: string): Record<string, string> {
  return { channel, chaincode };
}

class SimulationError extends Error {}

function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

export class Endorser implements ProposalProcessor {
  readonly #o: EndorserOptions;
  readonly #metrics: EndorserMetrics;
  /** Initialised plugins by name and channel; the promise is cached so init runs once. */
  readonly #plugins = new Map<string, Promise<EndorsementPlugin | undefined>>();

  constructor(options: EndorserOptions) {
    this.#o = options;
    this.#metrics = endorserMetrics(options.metrics);
  }

  async processProposal(
    signed: protos.ISignedProposal,
    context: CallContext,
  ): Promise<protos.IProposalResponse> {
    const start = performance.now();
    const m = this.#metrics;
    m.proposalsReceived.add(1);
    const log = this.#o.logger;
    if (context.remoteAddress !== undefined) {
      log.debug('request from', { address: context.remoteAddress });
    }

    let up: UnpackedProposal;
    try {
      up = unpackProposal(signed);
    } catch (err) {
      m.proposalValidationFailed.add(1);
      log.warn('Failed to unpack proposal', { error: messageOf(err) });
      throw err;
    }

    let channel: Channel | undefined;
    let deserializer: IdentityDeserializer;
    if (up.channelId !== '') {
      channel = this.#o.channels.get(up.channelId);
      if (channel === undefined) {
        return { response: { status: ERROR, message: `channel '${up.channelId}' not found` } };
      }
      deserializer = channel.bundle().deserializer;
    } else {
      deserializer = this.#o.localMsp;
    }

    try {
      await this.#preProcess(up, channel, deserializer);
    } catch (err) {
      log.warn('Failed to preProcess proposal', { error: messageOf(err) });
      throw err;
    }

    let success = false;
    try {
      const response = await this.#processSuccessfullyOrError(up, channel);
      if (response.endorsement || up.channelId === '') {
        success = true;
        m.successfulProposals.add(1);
      }
      return response;
    } catch (err) {
      log.warn('Failed to invoke chaincode', {
        channel: up.channelId,
        chaincode: up.chaincodeName,
        error: messageOf(err),
      });
      return { response: { status: ERROR, message: messageOf(err) } };
    } finally {
      m.proposalDuration.observe((performance.now() - start) / 1000, {
        channel: up.channelId,
        chaincode: up.chaincodeName,
        success: String(success),
      });
    }
  }

  /** Fabric's preProcess: validation, then (on a channel) txid uniqueness and the ACL. */
  async #preProcess(
    up: UnpackedProposal,
    channel: Channel | undefined,
    deserializer: IdentityDeserializer,
  ): Promise<Identity> {
    let creator: Identity;
    try {
      creator = await validateProposal(up, deserializer);
    } catch (err) {
      this.#metrics.proposalValidationFailed.add(1);
      throw err;
    }
    if (NOT_INVOKABLE.has(up.chaincodeName)) {
      throw new EndorserError(
        'NOT_INVOKABLE',
        `chaincode ${up.chaincodeName} cannot be invoked through a proposal`,
      );
    }
    if (channel === undefined) return creator;

    // As Fabric, only a successful lookup counts as a duplicate.
    const exists = await channel.ledger.txIdExists(up.txId).catch(() => false);
    if (exists) {
      this.#metrics.duplicateTxsFailure.add(1, labels(up.channelId, up.chaincodeName));
      throw new EndorserError(
        'DUPLICATE_TXID',
        `duplicate transaction found [${up.txId}]. Creator [${Buffer.from(up.creator).toString('hex')}]`,
      );
    }
    // System chaincodes check their own ACLs.
    if (!this.#o.systemChaincodes.has(up.chaincodeName)) {
      try {
        await this.#o.acl.checkACL(PEER_PROPOSE, up.channelId, [
          { data: up.proposalBytes, identity: up.creator, signature: up.signature },
        ]);
      } catch (err) {
        this.#metrics.proposalACLCheckFailed.add(1, labels(up.channelId, up.chaincodeName));
        throw new EndorserError('ACCESS_DENIED', messageOf(err), { cause: err });
      }
    }
    return creator;
  }

  async #processSuccessfullyOrError(
    up: UnpackedProposal,
    channel: Channel | undefined,
  ): Promise<protos.IProposalResponse> {
    const name = up.chaincodeName;
    const channelId = up.channelId;
    // No simulator for qscc and cscc: they do not need one, and its hold on commits would
    // deadlock a JoinChain or a query that waits for a block.
    let sim: TxSimulator | undefined;
    let history: HistoryQueryExecutor | undefined;
    if (channel !== undefined && name !== 'qscc' && name !== 'cscc') {
      sim = await channel.ledger.newTxSimulator(up.txId);
      history = channel.ledger.newHistoryQueryExecutor();
    }
    try {
      let definition: ChaincodeEndorsementInfo;
      try {
        definition = await this.#definition(channelId, name, sim);
      } catch (err) {
        throw new Error(
          `make sure the chaincode ${name} has been successfully defined on channel ${channelId} and try again: ${messageOf(err)}`,
          { cause: err },
        );
      }
      const params: TransactionParams = {
        txId: up.txId,
        channelId,
        namespaceId: name,
        signedProposal: up.signedProposal,
        proposal: up.proposal,
        ...(sim !== undefined ? { txSimulator: sim } : {}),
        ...(history !== undefined ? { historyQueryExecutor: history } : {}),
        // Read through `sim` just now: chaincode support need not read it again.
        endorsementInfo: { chaincodeName: name, info: definition },
      };

      let sim2: Simulation;
      try {
        sim2 = await this.#simulate(up, params, channel, sim);
      } catch (err) {
        throw new Error(`error in simulation: ${messageOf(err)}`, { cause: err });
      }

      const response = goResponse(sim2.response);
      const status = response.status ?? 0;
      const payload = proposalResponsePayloadBytes(
        up.proposalHash,
        response,
        sim2.results,
        sim2.event !== undefined ? goEventBytes(sim2.event) : undefined,
        { name, version: definition.version },
      );
      const interest = sim2.interest !== undefined ? { interest: sim2.interest } : {};
      if (status >= ERROR) return { response, payload, ...interest };
      if (channelId === '') return { response };
      if (status >= ERROR_THRESHOLD) {
        this.#metrics.endorsementsFailed.add(1, {
          ...labels(channelId, name),
          chaincodeerror: 'true',
        });
        this.#o.logger.debug('chaincode error', { status });
        return { response };
      }

      let endorsed: { endorsement: protos.IEndorsement; payload: Uint8Array };
      try {
        endorsed = await this.#endorse(definition.endorsementPlugin, channelId, payload, up);
      } catch (err) {
        this.#metrics.endorsementsFailed.add(1, {
          ...labels(channelId, name),
          chaincodeerror: 'false',
        });
        throw new Error(`endorsing with plugin failed: ${messageOf(err)}`, { cause: err });
      }
      return {
        version: 1,
        endorsement: endorsed.endorsement,
        payload: endorsed.payload,
        response,
        ...interest,
      };
    } finally {
      sim?.done();
    }
  }

  /** The chaincode's endorsement info; system chaincodes answer for themselves, as in Fabric. */
  #definition(
    channelId: string,
    name: string,
    sim: TxSimulator | undefined,
  ): Promise<ChaincodeEndorsementInfo> {
    if (this.#o.systemChaincodes.has(name)) {
      return Promise.resolve({
        version: 'syscc',
        enforceInit: false,
        endorsementPlugin: 'escc',
        chaincodeId: `${name}.syscc`,
      });
    }
    return this.#o.definitions.endorsementInfo(channelId, name, sim);
  }

  /** The chaincode input as the chaincode sees it: decorations added by each decorator in turn. */
  #decorate(up: UnpackedProposal): protos.IChaincodeInput {
    let input: protos.IChaincodeInput = {
      args: up.input.args,
      decorations: {},
      isInit: up.input.isInit,
    };
    for (const d of this.#o.decorators) input = d.decorate(up.proposal, input);
    return input;
  }

  /** Fabric's simulateProposal and callChaincode. */
  async #simulate(
    up: UnpackedProposal,
    params: TransactionParams,
    channel: Channel | undefined,
    sim: TxSimulator | undefined,
  ): Promise<Simulation> {
    const name = up.chaincodeName;
    const meter = labels(up.channelId, name);
    const input = this.#decorate(up);
    let result: ExecuteResult;
    try {
      result = await this.#o.chaincodeSupport.execute(params, name, input);
    } catch (err) {
      this.#metrics.simulationFailure.add(1, meter);
      throw err;
    }
    const response = result.response;
    if ((response.status ?? 0) >= ERROR_THRESHOLD) return { response };

    const args = input.args ?? [];
    const fn = args[0] !== undefined ? Buffer.from(args[0]).toString('utf8') : '';
    if (name === 'lscc' && args.length >= 3 && (fn === 'deploy' || fn === 'upgrade')) {
      await this.#legacyInit(up, params, args[2] ?? new Uint8Array(0));
    }

    if (sim === undefined) {
      return { response, ...(result.event ? { event: result.event } : {}) };
    }

    let results;
    try {
      results = await sim.getTxSimulationResults();
    } catch (err) {
      this.#metrics.simulationFailure.add(1, meter);
      throw err;
    }
    // Release the hold on commits before anything slow (distribution, metadata reads).
    sim.done();
    if (results.privateRwset !== undefined && results.privateRwsetProto !== undefined) {
      if (name === 'lscc') {
        this.#metrics.simulationFailure.add(1, meter);
        throw new SimulationError('Private data is forbidden to be used in instantiate');
      }
      const distributor = this.#o.privateData;
      if (distributor !== undefined && channel !== undefined) {
        try {
          await distributor.distributePrivateData({
            channelId: up.channelId,
            txId: up.txId,
            privateRwset: results.privateRwset,
            privateRwsetProto: results.privateRwsetProto,
            endorsedAt: toNumber(channel.ledger.getBlockchainInfo().height),
          });
        } catch (err) {
          this.#metrics.simulationFailure.add(1, meter);
          throw err;
        }
      }
    }

    const isSysCC = (ns: string): boolean => this.#o.systemChaincodes.has(ns);
    // Key-level policies of written keys come from committed metadata, read outside the
    // simulation so that the reads stay out of the read set (Fabric reads the state DB). The
    // executor is opened only if some key was written.
    let qe: QueryExecutor | undefined;
    const ledger = channel?.ledger;
    const executor = async (): Promise<QueryExecutor | undefined> =>
      ledger === undefined ? undefined : (qe ??= await ledger.newQueryExecutor());
    let interest: protos.IChaincodeInterest;
    try {
      interest = await buildChaincodeInterest(results, isSysCC, {
        publicMetadata: async (ns, key) => (await executor())?.getStateMetadata(ns, key),
        privateMetadataByHash: async (ns, coll, hash) =>
          (await executor())?.getPrivateDataMetadataByHash(ns, coll, hash),
      });
    } finally {
      qe?.done();
    }
    return {
      response,
      ...(result.event ? { event: result.event } : {}),
      results: results.publicRwset,
      interest,
    };
  }

  /**
   * The lscc deploy/upgrade case of Fabric's callChaincode: once lscc has written the definition,
   * the chaincode's own Init runs in the same simulator, so one read-write set holds both.
   */
  async #legacyInit(
    up: UnpackedProposal,
    params: TransactionParams,
    cdsBytes: Uint8Array,
  ): Promise<void> {
    const meter = labels(up.channelId, up.chaincodeName);
    let cds: protos.ChaincodeDeploymentSpec;
    try {
      cds = protos.ChaincodeDeploymentSpec.decode(cdsBytes);
    } catch (err) {
      this.#metrics.simulationFailure.add(1, meter);
      throw new SimulationError(`error unmarshalling ChaincodeDeploymentSpec: ${messageOf(err)}`, {
        cause: err,
      });
    }
    const ccName = cds.chaincodeSpec?.chaincodeId?.name ?? '';
    const ccVersion = cds.chaincodeSpec?.chaincodeId?.version ?? '';
    if (this.#o.systemChaincodes.has(ccName)) {
      this.#metrics.simulationFailure.add(1, meter);
      throw new SimulationError(
        `attempting to deploy a system chaincode ${ccName}/${up.channelId}`,
      );
    }
    if ((cds.codePackage?.length ?? 0) !== 0) {
      this.#metrics.simulationFailure.add(1, meter);
      throw new SimulationError('lscc upgrade/deploy should not include a code packages');
    }
    let init: ExecuteResult;
    try {
      init = await this.#o.chaincodeSupport.executeLegacyInit(
        { ...params, isInitTransaction: true },
        ccName,
        ccVersion,
        cds.chaincodeSpec?.input ?? { args: [] },
      );
    } catch (err) {
      this.#metrics.initFailed.add(1, labels(up.channelId, ccName));
      throw err;
    }
    // A shim turns an Init status >= 500 into an ERROR message (a failed execution in Fabric).
    if ((init.response.status ?? 0) >= ERROR) {
      this.#metrics.initFailed.add(1, labels(up.channelId, ccName));
      throw new SimulationError(
        `transaction returned with failure: ${init.response.message ?? ''}`,
      );
    }
  }

  /** Fabric's EndorseWithPlugin with one initialised plugin per (name, channel). */
  async #endorse(
    pluginName: string,
    channelId: string,
    payload: Uint8Array,
    up: UnpackedProposal,
  ): Promise<{ endorsement: protos.IEndorsement; payload: Uint8Array }> {
    const key = `${pluginName}\u0000${channelId}`;
    let pending = this.#plugins.get(key);
    if (pending === undefined) {
      pending = this.#createPlugin(pluginName, channelId);
      this.#plugins.set(key, pending);
      // A failed creation is not cached: the next proposal tries again.
      pending.catch(() => this.#plugins.delete(key));
    }
    let plugin: EndorsementPlugin | undefined;
    try {
      plugin = await pending;
    } catch (err) {
      throw new Error(`plugin with name ${pluginName} could not be used: ${messageOf(err)}`, {
        cause: err,
      });
    }
    if (plugin === undefined) {
      this.#plugins.delete(key);
      throw new Error(
        `plugin with name ${pluginName} could not be used: plugin with name ${pluginName} wasn't found`,
      );
    }
    const result = await plugin.endorse(payload, up.signedProposal);
    return { endorsement: result.endorsement, payload: result.payload };
  }

  async #createPlugin(name: string, channelId: string): Promise<EndorsementPlugin | undefined> {
    const plugin = await this.#o.endorsementPlugin(name, channelId);
    if (plugin === undefined) return undefined;
    const signer = this.#o.signer;
    await plugin.init({ signingIdentityFor: () => Promise.resolve(signer) });
    return plugin;
  }
}
