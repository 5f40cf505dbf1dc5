/**
 * The Gateway service (Fabric's internal/pkg/gateway): Evaluate, Endorse, Submit, CommitStatus and
 * ChaincodeEvents, with Fabric's order of checks, its gRPC status codes, its messages and its
 * `gateway.ErrorDetail`s, so that the fabric-gateway client behaves against this peer as against
 * Fabric's.
 */
import type { Logger } from '@fabric-peer/api';
import type { Channel } from '@fabric-peer/channel';
import type { ChannelConfigBundle } from '@fabric-peer/policies';
import { AclResources } from '@fabric-peer/policies';
import { common, gateway, protos, type orderer } from '@fabric-peer/protos';
import { CommitWaiters, WaitAborted } from './commit.js';
import { LocalEndorser, type EndorseOutcome, type EndorserEndpoint } from './endpoints.js';
import { GatewayError, messageOf, type EndpointErrorDetail } from './errors.js';
import { blockTransactions, chaincodeEventMatcher } from './events.js';
import { EndorsementPlan, type OrgLayout } from './plan.js';
import {
  PolicyLayoutError,
  applicationPolicyLayouts,
  combineRequirements,
  minimize,
  signaturePolicyLayouts,
} from './policy.js';
import {
  endorseProposalInfo,
  evaluateProposalInfo,
  prepareTransaction,
  resultFromProposalResponse,
  uniqueEndorsements,
  type ProposalInfo,
} from './proposal.js';
import { gatewayGrpcService } from './grpc.js';
import { PeerRegistry } from './registry.js';
import {
  DEFAULT_GATEWAY_SETTINGS,
  type GatewayServerOptions,
  type GatewaySettings,
} from './types.js';

/** What a request runs under: aborted when the client cancels or its deadline passes. */
export interface RequestContext {
  readonly signal: AbortSignal;
}

/** Sends one response of a ChaincodeEvents stream; resolves when the stream can take more. */
export type EventsSender = (response: gateway.ChaincodeEventsResponse.$Properties) => Promise<void>;

const SUCCESS = common.Status.SUCCESS as number;

function detail(endorser: EndorserEndpoint, message: string): EndpointErrorDetail {
  return { address: endorser.address, mspId: endorser.mspId, message };
}

function noConfig(channelId: string): string {
  return `failed to get config for channel [${channelId}]: could not get last config for channel ${channelId}`;
}

function rejectOnAbort(signal: AbortSignal): { promise: Promise<never>; dispose: () => void } {
  let onAbort: (() => void) | undefined;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(new WaitAborted('request ended'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  // The rejection is observed by whoever races it; this keeps an unraced one from being reported.
  promise.catch(() => undefined);
  return {
    promise,
    dispose: () => {
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    },
  };
}

/** The number of a SeekSpecified / block header: uint64 decoded as Long or number. */
function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

export class GatewayServer {
  readonly #o: GatewayServerOptions;
  readonly #settings: GatewaySettings;
  readonly #log: Logger;
  readonly #registry: PeerRegistry;
  readonly #commits = new CommitWaiters();
  /** The signals of the requests running, which close() aborts. */
  readonly #active = new Set<AbortController>();
  #closed = false;

  constructor(options: GatewayServerOptions) {
    this.#o = options;
    this.#settings = { ...DEFAULT_GATEWAY_SETTINGS, ...options.settings };
    this.#log = options.logger;
    const local = new LocalEndorser(
      options.localEndorser,
      options.localMspId,
      options.localEndpoint ?? '',
    );
    this.#registry = new PeerRegistry(
      local,
      options.channels,
      options.remotePeers ?? (() => []),
      {
        dialTimeoutMs: this.#settings.dialTimeoutMs,
        ...(options.clientTls !== undefined ? { clientTls: options.clientTls } : {}),
      },
      options.logger,
    );
  }

  /** The timeouts in force. */
  get settings(): GatewaySettings {
    return this.#settings;
  }

  /** The `gateway.Gateway` service for the peer's listener (`grpc.Server.addService`). */
  grpcService(): ReturnType<typeof gatewayGrpcService> {
    return gatewayGrpcService(this);
  }

  /** Ends open streams and waits, and closes the connections to other peers. */
  close(): void {
    this.#closed = true;
    for (const request of this.#active) request.abort('closed');
    this.#commits.close();
    this.#registry.close();
  }

  /** Runs `work` with a signal that aborts with the request's, or when the gateway closes. */
  async #within<T>(ctx: RequestContext, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(ctx.signal.reason);
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener('abort', onAbort, { once: true });
    if (this.#closed) controller.abort('closed');
    this.#active.add(controller);
    try {
      return await work(controller.signal);
    } finally {
      this.#active.delete(controller);
      ctx.signal.removeEventListener('abort', onAbort);
    }
  }

  // ---- Evaluate -----------------------------------------------------------------------------

  /** Runs a proposal on one peer (this one first) and returns its result, unendorsed. */
  evaluate(
    request: gateway.EvaluateRequest.$Properties | null | undefined,
    ctx: RequestContext,
  ): Promise<gateway.EvaluateResponse.$Properties> {
    return this.#within(ctx, (signal) => this.#evaluate(request, signal));
  }

  async #evaluate(
    request: gateway.EvaluateRequest.$Properties | null | undefined,
    signal: AbortSignal,
  ): Promise<gateway.EvaluateResponse.$Properties> {
    if (request === null || request === undefined) {
      throw new GatewayError('INVALID_ARGUMENT', 'an evaluate request is required');
    }
    const signed = request.proposedTransaction ?? {};
    let info: ProposalInfo;
    try {
      info = evaluateProposalInfo(signed);
    } catch (err) {
      throw new GatewayError(
        'INVALID_ARGUMENT',
        `failed to unpack transaction proposal: ${messageOf(err)}`,
        { cause: err },
      );
    }
    const { channelId, chaincodeId } = info;
    if (this.#o.channels.get(channelId) === undefined) {
      throw new GatewayError('UNAVAILABLE', noConfig(channelId));
    }
    let targetOrgs = [...(request.targetOrganizations ?? [])];
    let transientProtected = false;
    if (info.hasTransientData && targetOrgs.length === 0) {
      targetOrgs = [this.#o.localMspId];
      transientProtected = true;
    }
    const endorsers = this.#evaluators(channelId, targetOrgs);
    if (endorsers.length === 0) {
      const reason = `no peers available to evaluate chaincode ${chaincodeId} in channel ${channelId}`;
      throw new GatewayError(
        'FAILED_PRECONDITION',
        transientProtected
          ? `no endorsers found in the gateway's organization; retry specifying target organization(s) to protect transient data: ${reason}`
          : reason,
      );
    }

    const errorDetails: EndpointErrorDetail[] = [];
    let lastCode: GatewayError['code'] = 'UNAVAILABLE';
    for (const endorser of endorsers) {
      this.#log.debug('Sending to peer:', {
        channel: channelId,
        chaincode: chaincodeId,
        txID: request.transactionId,
        MSPID: endorser.mspId,
        endpoint: endorser.address,
      });
      const outcome = await endorser.process(signed, this.#settings.endorsementTimeoutMs, signal);
      if (signal.aborted) {
        this.#log.warn('Evaluate call timed out while processing request', {
          channel: channelId,
          txID: request.transactionId,
        });
        throw new GatewayError('DEADLINE_EXCEEDED', 'evaluate timeout expired');
      }
      if (outcome.ok) {
        const response = protos.Response.create({ ...outcome.response.response });
        try {
          response.payload = resultFromProposalResponse(outcome.response);
        } catch (err) {
          this.#log.warn('Successful proposal response contained no transaction result', {
            error: messageOf(err),
            chaincode: chaincodeId,
            channel: channelId,
            txID: request.transactionId,
            endorserAddress: endorser.address,
            endorserMspid: endorser.mspId,
          });
        }
        return { result: response };
      }
      this.#log.debug('Evaluate call to endorser failed', {
        chaincode: chaincodeId,
        channel: channelId,
        txID: request.transactionId,
        endorserAddress: endorser.address,
        endorserMspid: endorser.mspId,
        error: outcome.message,
      });
      errorDetails.push(detail(endorser, outcome.message));
      if (outcome.remove) this.#registry.remove(endorser);
      if (!outcome.retry) {
        throw new GatewayError(
          outcome.code,
          `evaluate call to endorser returned error: ${outcome.message}`,
          { errorDetails },
        );
      }
      lastCode = outcome.code;
    }
    throw new GatewayError(
      lastCode,
      'failed to evaluate transaction, see attached details for more info',
      { errorDetails },
    );
  }

  /** Fabric's registry.evaluator: the target organizations' peers, this organization's first. */
  #evaluators(channelId: string, targetOrgs: readonly string[]): EndorserEndpoint[] {
    const byOrg = this.#registry.endorsersByOrg(channelId);
    const orgs = targetOrgs.length > 0 ? targetOrgs : [...byOrg.keys()];
    const local: EndorserEndpoint[] = [];
    const others: EndorserEndpoint[] = [];
    for (const org of new Set(orgs)) {
      const peers = byOrg.get(org) ?? [];
      if (org === this.#o.localMspId) local.push(...peers);
      else others.push(...peers);
    }
    return [...local, ...others];
  }

  // ---- Endorse ------------------------------------------------------------------------------

  /**
   * Collects enough endorsements to satisfy the chaincode's endorsement policy and returns the
   * prepared (unsigned) transaction envelope.
   */
  endorse(
    request: gateway.EndorseRequest.$Properties | null | undefined,
    ctx: RequestContext,
  ): Promise<gateway.EndorseResponse.$Properties> {
    return this.#within(ctx, (signal) => this.#endorse(request, signal));
  }

  async #endorse(
    request: gateway.EndorseRequest.$Properties | null | undefined,
    signal: AbortSignal,
  ): Promise<gateway.EndorseResponse.$Properties> {
    if (request === null || request === undefined) {
      throw new GatewayError('INVALID_ARGUMENT', 'an endorse request is required');
    }
    const signed = request.proposedTransaction ?? {};
    if ((signed.proposalBytes?.length ?? 0) === 0) {
      throw new GatewayError(
        'INVALID_ARGUMENT',
        'the proposed transaction must contain a signed proposal',
      );
    }
    let info: ProposalInfo;
    try {
      info = endorseProposalInfo(signed);
    } catch (err) {
      throw new GatewayError('INVALID_ARGUMENT', messageOf(err), { cause: err });
    }
    const channel = this.#o.channels.get(info.channelId);
    if (channel === undefined) {
      throw new GatewayError('FAILED_PRECONDITION', noConfig(info.channelId));
    }
    const log = {
      channel: info.channelId,
      chaincode: info.chaincodeId,
      txID: request.transactionId || info.txId,
    };

    let plan: EndorsementPlan;
    const endorsingOrgs = request.endorsingOrganizations ?? [];
    if (endorsingOrgs.length > 0) {
      // The client names the organizations and takes responsibility for meeting the policy.
      plan = this.#planForOrgs(info.channelId, endorsingOrgs);
    } else {
      plan = await this.#planFromFirstEndorser(channel, info, signed, signal, log);
    }

    while (plan.completed === undefined) {
      const endorsers = plan.endorsers();
      if (endorsers === undefined || endorsers.length === 0) break;
      const collecting = Promise.all(
        endorsers.map(async (first) => {
          for (let e: EndorserEndpoint | undefined = first; e !== undefined;) {
            if (await this.#processProposal(plan, e, signed, signal, log)) return;
            if (signal.aborted) return;
            e = plan.nextPeerInGroup(e);
          }
        }),
      );
      const abort = rejectOnAbort(signal);
      try {
        await Promise.race([collecting, abort.promise]);
      } catch {
        this.#log.warn('Endorse call timed out while collecting endorsements', {
          ...log,
          numEndorsers: endorsers.length,
        });
        throw new GatewayError(
          'DEADLINE_EXCEEDED',
          'endorsement timeout expired while collecting endorsements',
        );
      } finally {
        abort.dispose();
      }
    }
    const completed = plan.completed;
    const responsePayload = plan.responsePayload;
    if (completed === undefined || responsePayload === undefined) {
      throw new GatewayError(
        'ABORTED',
        'failed to collect enough transaction endorsements, see attached details for more info',
        { errorDetails: plan.errorDetails },
      );
    }
    let envelope: common.Envelope;
    try {
      envelope = prepareTransaction(
        info.header,
        info.payload,
        responsePayload,
        uniqueEndorsements(completed.endorsements),
      );
    } catch (err) {
      throw new GatewayError('ABORTED', `failed to assemble transaction: ${messageOf(err)}`, {
        cause: err,
      });
    }
    return { preparedTransaction: envelope };
  }

  /** One endorsement attempt within a plan; true when its endorsement counts. */
  async #processProposal(
    plan: EndorsementPlan,
    endorser: EndorserEndpoint,
    signed: protos.SignedProposal.$Properties,
    signal: AbortSignal,
    log: Record<string, unknown>,
  ): Promise<boolean> {
    this.#log.debug('Sending to endorser:', {
      ...log,
      MSPID: endorser.mspId,
      endpoint: endorser.address,
    });
    const outcome = await endorser.process(signed, this.#settings.endorsementTimeoutMs, signal);
    if (signal.aborted) return false;
    if (!outcome.ok) {
      this.#endorseFailed(endorser, outcome, log);
      plan.addError(detail(endorser, outcome.message));
      return false;
    }
    return plan.processEndorsement(endorser, outcome.response);
  }

  #endorseFailed(
    endorser: EndorserEndpoint,
    outcome: Extract<EndorseOutcome, { ok: false }>,
    log: Record<string, unknown>,
  ): void {
    this.#log.warn('Endorse call to endorser failed', {
      ...log,
      MSPID: endorser.mspId,
      endpoint: endorser.address,
      error: outcome.message,
    });
    if (outcome.remove) this.#registry.remove(endorser);
  }

  /** Fabric's planForOrgs: one endorsement from each named organization. */
  #planForOrgs(channelId: string, orgs: readonly string[]): EndorsementPlan {
    const byOrg = this.#registry.endorsersByOrg(channelId);
    const required = new Map<string, number>();
    const groups = new Map<string, EndorserEndpoint[]>();
    const missing: string[] = [];
    for (const org of orgs) {
      const peers = byOrg.get(org);
      if (peers === undefined || peers.length === 0) {
        missing.push(org);
        continue;
      }
      groups.set(org, peers);
      required.set(org, 1);
    }
    if (missing.length > 0) {
      throw new GatewayError(
        'UNAVAILABLE',
        `failed to find any endorsing peers for org(s): ${missing.join(', ')}`,
      );
    }
    return this.#newPlan([required], groups);
  }

  #newPlan(
    layouts: readonly OrgLayout[],
    groups: ReadonlyMap<string, readonly EndorserEndpoint[]>,
  ): EndorsementPlan {
    return new EndorsementPlan(layouts, groups, (endorser) =>
      this.#log.warn(
        'ProposalResponsePayloads do not match. The endorsers simulated the transaction differently.',
        { endorser: endorser.address, mspid: endorser.mspId },
      ),
    );
  }

  /**
   * Fabric's planFromFirstEndorser: endorse on a peer of this organization (this one first), then
   * plan the remaining endorsements from the interest it reports and the policies involved.
   */
  async #planFromFirstEndorser(
    channel: Channel,
    info: ProposalInfo,
    signed: protos.SignedProposal.$Properties,
    signal: AbortSignal,
    log: Record<string, unknown>,
  ): Promise<EndorsementPlan> {
    const byOrg = this.#registry.endorsersByOrg(channel.id);
    const defaultInterest: protos.ChaincodeInterest.$Properties = {
      chaincodes: [{ name: info.chaincodeId }],
    };
    let firstPlan: EndorsementPlan;
    const localOrg = byOrg.get(this.#o.localMspId) ?? [];
    if (localOrg.length > 0) {
      firstPlan = this.#newPlan([new Map([[this.#o.localMspId, 1]])], byOrg);
    } else {
      if (info.hasTransientData) {
        throw new GatewayError(
          'FAILED_PRECONDITION',
          "no endorsers found in the gateway's organization; retry specifying endorsing organization(s) to protect transient data",
        );
      }
      firstPlan = this.#newPlan(await this.#layouts(channel, defaultInterest, byOrg), byOrg);
    }
    let first = firstPlan.endorsers()?.[0];
    let firstResponse: protos.ProposalResponse.$Properties | undefined;
    const errorDetails: EndpointErrorDetail[] = [];
    while (first !== undefined) {
      const outcome = await first.process(signed, this.#settings.endorsementTimeoutMs, signal);
      if (signal.aborted) {
        this.#log.warn('Endorse call timed out while collecting first endorsement', log);
        throw new GatewayError(
          'DEADLINE_EXCEEDED',
          'endorsement timeout expired while collecting first endorsement',
        );
      }
      if (outcome.ok) {
        firstResponse = outcome.response;
        break;
      }
      this.#endorseFailed(first, outcome, log);
      errorDetails.push(detail(first, outcome.message));
      first = firstPlan.nextPeerInGroup(first);
    }
    if (first === undefined || firstResponse === undefined) {
      throw new GatewayError(
        'ABORTED',
        'failed to endorse transaction, see attached details for more info',
        { errorDetails },
      );
    }
    // The interest is empty for legacy peers and for functions without a read-write set.
    const interest =
      (firstResponse.interest?.chaincodes?.length ?? 0) > 0
        ? (firstResponse.interest ?? defaultInterest)
        : defaultInterest;
    const layouts = await this.#protectCollections(
      channel.id,
      interest,
      info.hasTransientData,
      await this.#layouts(channel, interest, byOrg),
    );
    const plan = this.#planFromLayouts(layouts, byOrg, first.mspId);
    plan.processEndorsement(first, firstResponse);
    return plan;
  }

  /**
   * The layouts that satisfy every policy the interest names: each chaincode's (unless the
   * interest disregards it) and each key-level policy.
   */
  async #layouts(
    channel: Channel,
    interest: protos.ChaincodeInterest.$Properties,
    byOrg: ReadonlyMap<string, readonly EndorserEndpoint[]>,
  ): Promise<OrgLayout[]> {
    const fail = (err: unknown): GatewayError =>
      new GatewayError(
        'FAILED_PRECONDITION',
        `no combination of peers can be derived which satisfy the endorsement policy: ${messageOf(err)}`,
        { cause: err },
      );
    let bundle: ChannelConfigBundle | undefined;
    const requirements: OrgLayout[][] = [];
    for (const call of interest.chaincodes ?? []) {
      const name = call.name ?? '';
      if (call.disregardNamespacePolicy !== true) {
        let policy: protos.ApplicationPolicy.$Properties | undefined;
        try {
          policy = await this.#o.policyFor?.(channel.id, name);
        } catch (err) {
          throw fail(err);
        }
        if (policy === undefined) {
          // Without the definition's policy: one endorsement from every organization known.
          requirements.push([new Map([...byOrg.keys()].map((org) => [org, 1]))]);
        } else {
          bundle ??= channel.bundle();
          try {
            requirements.push(applicationPolicyLayouts(bundle, policy));
          } catch (err) {
            throw fail(err);
          }
        }
      }
      for (const keyPolicy of call.keyPolicies ?? []) {
        try {
          requirements.push(signaturePolicyLayouts(keyPolicy));
        } catch (err) {
          throw fail(err);
        }
      }
    }
    try {
      const layouts = minimize(combineRequirements(requirements));
      if (layouts.length === 0) {
        throw new PolicyLayoutError('no set of organizations satisfies the policy');
      }
      return layouts;
    } catch (err) {
      throw fail(err);
    }
  }

  /**
   * Keeps private data where it may go, as Fabric's discovery does: when the transaction reads a
   * collection, or writes one with transient data in the proposal, only member organizations of
   * the collection may endorse. Members come from `collectionMembers`; without it, a proposal with
   * transient data stays in this organization and nothing else is restricted.
   */
  async #protectCollections(
    channelId: string,
    interest: protos.ChaincodeInterest.$Properties,
    hasTransientData: boolean,
    layouts: OrgLayout[],
  ): Promise<OrgLayout[]> {
    const protectedCollections: { chaincode: string; collection: string }[] = [];
    for (const call of interest.chaincodes ?? []) {
      if (call.noPrivateReads === true && !hasTransientData) continue;
      for (const collection of call.collectionNames ?? []) {
        protectedCollections.push({ chaincode: call.name ?? '', collection });
      }
    }
    if (protectedCollections.length === 0) return layouts;
    const source = this.#o.collectionMembers;
    if (source === undefined && !hasTransientData) return layouts;
    let allowed: Set<string> | undefined;
    for (const { chaincode, collection } of protectedCollections) {
      let members: readonly string[] | undefined;
      try {
        members = await source?.(channelId, chaincode, collection);
      } catch (err) {
        throw new GatewayError(
          'FAILED_PRECONDITION',
          `no combination of peers can be derived which satisfy the endorsement policy: ${messageOf(err)}`,
          { cause: err },
        );
      }
      const orgs = new Set(members ?? [this.#o.localMspId]);
      allowed = allowed === undefined ? orgs : new Set([...allowed].filter((o) => orgs.has(o)));
    }
    const permitted = layouts.filter((l) => [...l.keys()].every((org) => allowed?.has(org)));
    if (permitted.length > 0) return permitted;
    const names = [...new Set(protectedCollections.map((c) => c.collection))].join(' ');
    throw new GatewayError(
      'FAILED_PRECONDITION',
      hasTransientData
        ? `requires endorsement from organisation(s) that are not in the distribution policy of the private data collection(s): [${names}]; retry specifying trusted endorsing organizations to protect transient data`
        : `no combination of peers can be derived which satisfy the endorsement policy: no organizations that are members of collection(s) [${names}] satisfy it`,
    );
  }

  /** Fabric's endorsementPlan after discovery: the layouts the known peers can meet. */
  #planFromLayouts(
    layouts: readonly OrgLayout[],
    byOrg: ReadonlyMap<string, readonly EndorserEndpoint[]>,
    preferredOrg: string,
  ): EndorsementPlan {
    const preferred: OrgLayout[] = [];
    const others: OrgLayout[] = [];
    const unavailable = new Set<string>();
    for (const layout of layouts) {
      let possible = true;
      for (const [org, quantity] of layout) {
        if ((byOrg.get(org)?.length ?? 0) < quantity) {
          unavailable.add(org);
          possible = false;
        }
      }
      if (!possible) continue;
      (layout.has(preferredOrg) ? preferred : others).push(layout);
    }
    // Fabric shuffles the layouts of each kind to spread the load; the smallest come first here.
    const usable = [...preferred, ...others];
    if (usable.length === 0) {
      throw new GatewayError(
        'FAILED_PRECONDITION',
        `failed to select a set of endorsers that satisfy the endorsement policy due to unavailability of peers: no peers of organization(s) [${[...unavailable].sort().join(' ')}]`,
      );
    }
    return this.#newPlan(usable, byOrg);
  }

  // ---- Submit -------------------------------------------------------------------------------

  /** Sends the signed transaction to the ordering service. */
  submit(
    request: gateway.SubmitRequest.$Properties | null | undefined,
    ctx: RequestContext,
  ): Promise<gateway.SubmitResponse.$Properties> {
    return this.#within(ctx, (signal) => this.#submit(request, signal));
  }

  async #submit(
    request: gateway.SubmitRequest.$Properties | null | undefined,
    signal: AbortSignal,
  ): Promise<gateway.SubmitResponse.$Properties> {
    if (request === null || request === undefined) {
      throw new GatewayError('INVALID_ARGUMENT', 'a submit request is required');
    }
    const txn = request.preparedTransaction;
    if (txn === null || txn === undefined) {
      throw new GatewayError('INVALID_ARGUMENT', 'a prepared transaction is required');
    }
    if ((txn.signature?.length ?? 0) === 0) {
      throw new GatewayError('INVALID_ARGUMENT', 'prepared transaction must be signed');
    }
    const channelId = request.channelId ?? '';
    if (this.#o.channels.get(channelId) === undefined) {
      throw new GatewayError('FAILED_PRECONDITION', noConfig(channelId));
    }
    this.#log.info('Sending transaction to orderer', { txID: request.transactionId });
    let response: orderer.BroadcastResponse.$Properties;
    const abort = rejectOnAbort(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `timeout expired after ${this.#settings.broadcastTimeoutMs}ms while broadcasting to the ordering service`,
            ),
          ),
        this.#settings.broadcastTimeoutMs,
      );
    });
    try {
      let broadcast: Promise<orderer.BroadcastResponse.$Properties>;
      try {
        broadcast = this.#o.orderingClient.broadcast(channelId, txn);
      } catch (err) {
        broadcast = Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      response = await Promise.race([broadcast, abort.promise, timeout]);
    } catch (err) {
      if (signal.aborted) {
        this.#log.warn('Submit call timed out while broadcasting to ordering service', {
          txID: request.transactionId,
        });
        throw new GatewayError(
          'DEADLINE_EXCEEDED',
          'submit timeout expired while broadcasting to ordering service',
        );
      }
      this.#log.warn('Error sending transaction to orderer', {
        txID: request.transactionId,
        err: messageOf(err),
      });
      throw new GatewayError('UNAVAILABLE', 'no orderers could successfully process transaction', {
        cause: err,
        errorDetails: ordererDetails(err),
      });
    } finally {
      clearTimeout(timer);
      abort.dispose();
    }
    const status: number = response.status ?? 0;
    if (status === SUCCESS) return {};
    const statusName = (common.Status as unknown as Record<number, string | undefined>)[status];
    const info = response.info ?? '';
    this.#log.warn('Unsuccessful response sending transaction to orderer', {
      txID: request.transactionId,
      status: statusName ?? status,
      info,
    });
    if (status >= 400 && status < 500) {
      throw new GatewayError(
        'ABORTED',
        `received unsuccessful response from orderer: status=${statusName ?? status}, info=${info}`,
      );
    }
    // Fabric tries the next orderer and attaches no detail for this case; the ordering client
    // already chose among the orderers, so its answer is the detail worth giving.
    throw new GatewayError('UNAVAILABLE', 'no orderers could successfully process transaction', {
      errorDetails: [
        {
          address: '',
          mspId: '',
          message: `received unsuccessful response from orderer: status=${statusName ?? status}, info=${info}`,
        },
      ],
    });
  }

  // ---- CommitStatus -------------------------------------------------------------------------

  /** The validation code and block of a transaction, waiting for it to commit if need be. */
  commitStatus(
    signedRequest: gateway.SignedCommitStatusRequest.$Properties | null | undefined,
    ctx: RequestContext,
  ): Promise<gateway.CommitStatusResponse.$Properties> {
    return this.#within(ctx, (signal) => this.#commitStatus(signedRequest, ctx, signal));
  }

  async #commitStatus(
    signedRequest: gateway.SignedCommitStatusRequest.$Properties | null | undefined,
    ctx: RequestContext,
    signal: AbortSignal,
  ): Promise<gateway.CommitStatusResponse.$Properties> {
    const bytes = signedRequest?.request ?? new Uint8Array(0);
    if (bytes.length === 0) {
      throw new GatewayError('INVALID_ARGUMENT', 'a commit status request is required');
    }
    let request: gateway.CommitStatusRequest;
    try {
      request = gateway.CommitStatusRequest.decode(bytes);
    } catch (err) {
      throw new GatewayError('INVALID_ARGUMENT', `invalid status request: ${messageOf(err)}`, {
        cause: err,
      });
    }
    await this.#checkAcl(
      AclResources.Gateway_CommitStatus,
      request.channelId,
      bytes,
      request.identity,
      signedRequest?.signature,
    );
    const channel = this.#o.channels.get(request.channelId);
    if (channel === undefined) {
      throw new GatewayError('ABORTED', `channel does not exist: ${request.channelId}`);
    }
    try {
      const status = await this.#commits.wait(channel, request.transactionId, signal);
      return { result: status.code, blockNumber: status.blockNumber };
    } catch (err) {
      if (err instanceof WaitAborted) {
        if (ctx.signal.aborted) throw contextError(ctx.signal);
        throw new GatewayError('UNAVAILABLE', 'the gateway is shutting down');
      }
      throw new GatewayError('ABORTED', messageOf(err), { cause: err });
    }
  }

  async #checkAcl(
    resource: string,
    channelId: string,
    data: Uint8Array,
    identity: Uint8Array | null | undefined,
    signature: Uint8Array | null | undefined,
  ): Promise<void> {
    try {
      await this.#o.acl.checkACL(resource, channelId, [
        {
          data,
          identity: identity ?? new Uint8Array(0),
          signature: signature ?? new Uint8Array(0),
        },
      ]);
    } catch (err) {
      throw new GatewayError('PERMISSION_DENIED', messageOf(err), { cause: err });
    }
  }

  // ---- ChaincodeEvents ----------------------------------------------------------------------

  /**
   * Streams the events of one chaincode, block by block (only blocks with matching events), from
   * the requested position through committed blocks and on as new blocks commit, until the
   * request ends. Resolves when the stream ends.
   */
  chaincodeEvents(
    signedRequest: gateway.SignedChaincodeEventsRequest.$Properties | null | undefined,
    ctx: RequestContext,
    send: EventsSender,
  ): Promise<void> {
    return this.#within(ctx, (signal) => this.#chaincodeEvents(signedRequest, ctx, send, signal));
  }

  async #chaincodeEvents(
    signedRequest: gateway.SignedChaincodeEventsRequest.$Properties | null | undefined,
    ctx: RequestContext,
    send: EventsSender,
    signal: AbortSignal,
  ): Promise<void> {
    const bytes = signedRequest?.request ?? new Uint8Array(0);
    if (bytes.length === 0) {
      throw new GatewayError('INVALID_ARGUMENT', 'a chaincode events request is required');
    }
    let request: gateway.ChaincodeEventsRequest;
    try {
      request = gateway.ChaincodeEventsRequest.decode(bytes);
    } catch (err) {
      throw new GatewayError(
        'INVALID_ARGUMENT',
        `invalid chaincode events request: ${messageOf(err)}`,
        { cause: err },
      );
    }
    await this.#checkAcl(
      AclResources.Gateway_ChaincodeEvents,
      request.channelId,
      bytes,
      request.identity,
      signedRequest?.signature,
    );
    const channel = this.#o.channels.get(request.channelId);
    if (channel === undefined) {
      throw new GatewayError('NOT_FOUND', `channel does not exist: ${request.channelId}`);
    }
    const start = await this.#eventsStartBlock(channel, request);
    const match = chaincodeEventMatcher(request.chaincodeId, request.afterTransactionId);
    const blocks = channel.ledger.getBlocksIterator(start);
    const onAbort = (): void => blocks.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        let block: common.Block | undefined;
        try {
          block = await blocks.next();
        } catch (err) {
          throw new GatewayError('ABORTED', messageOf(err), { cause: err });
        }
        if (block === undefined) break;
        const events = blockTransactions(block).flatMap(match);
        if (events.length === 0) continue;
        await send({ events, blockNumber: block.header?.number ?? 0 });
      }
      if (this.#closed && !ctx.signal.aborted) {
        throw new GatewayError('UNAVAILABLE', 'the gateway is shutting down');
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      blocks.close();
    }
  }

  /**
   * Fabric's chaincodeEventsStartBlock: the block of `after_transaction_id` when the ledger has it,
   * else the start position: a given block, or the next block to commit. Fabric refuses `newest`
   * and `oldest`; they are taken here as the last committed block and block 0.
   */
  async #eventsStartBlock(
    channel: Channel,
    request: gateway.ChaincodeEventsRequest,
  ): Promise<number> {
    if (request.afterTransactionId.length > 0) {
      const block = await channel.ledger
        .getBlockByTxId(request.afterTransactionId)
        .catch(() => undefined);
      if (block !== undefined) return toNumber(block.header?.number);
    }
    const position = request.startPosition;
    const height = (): number => toNumber(channel.ledger.getBlockchainInfo().height);
    if (position === null || position === undefined) return height();
    if (position.specified !== null && position.specified !== undefined) {
      return toNumber(position.specified.number);
    }
    if (position.newest !== null && position.newest !== undefined) return Math.max(0, height() - 1);
    if (position.oldest !== null && position.oldest !== undefined) return 0;
    return height();
  }
}

/**
 * The error details of a failed broadcast: one per orderer when the ordering client lists its
 * failures as `details.failures` (`<address>: <message>`, as @fabric-peer/deliver's does), else
 * one naming `details.address` / `details.mspId` when given.
 */
function ordererDetails(err: unknown): EndpointErrorDetail[] {
  const details =
    err !== null && typeof err === 'object' && 'details' in err
      ? (err as { details?: unknown }).details
      : undefined;
  const fields = (details !== null && typeof details === 'object' ? details : {}) as Record<
    string,
    unknown
  >;
  const mspId = typeof fields.mspId === 'string' ? fields.mspId : '';
  if (Array.isArray(fields.failures) && fields.failures.length > 0) {
    return fields.failures.map((failure) => {
      const text = String(failure);
      const at = text.indexOf(': ');
      return at < 0
        ? { address: '', mspId, message: text }
        : { address: text.slice(0, at), mspId, message: text.slice(at + 2) };
    });
  }
  const address = typeof fields.address === 'string' ? fields.address : '';
  return [{ address, mspId, message: messageOf(err) }];
}

/** Fabric's status.FromContextError: a deadline that passed, or a client that cancelled. */
function contextError(signal: AbortSignal): GatewayError {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new GatewayError('DEADLINE_EXCEEDED', 'context deadline exceeded');
  }
  if (reason === 'deadline')
    return new GatewayError('DEADLINE_EXCEEDED', 'context deadline exceeded');
  return new GatewayError('CANCELLED', 'context canceled');
}
