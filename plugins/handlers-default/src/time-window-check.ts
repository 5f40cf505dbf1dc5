/**
 * TimeWindowCheck (a default filter from Fabric v3): refuses a proposal whose timestamp is more than
 * `peer.authentication.timewindow` away from the peer's clock, in either direction.
 */
import {
  inject,
  injectable,
  PeerConfig,
  type AuthFilter,
  type CallContext,
  type ProposalProcessor,
} from '@fabric-peer/api';
import type { protos } from '@fabric-peer/protos';
import { ProposalRejected } from './errors.js';
import { goDuration, rfc3339, toNanos } from './go-time.js';
import { channelHeader, proposalHeader } from './proposal.js';

/** Fabric's default `peer.authentication.timewindow`, used when the key is empty or zero. */
const DEFAULT_WINDOW_MS = 15 * 60 * 1000;

const NS_PER_MS = 1_000_000n;

@injectable()
export class TimeWindowCheck implements AuthFilter {
  #next: ProposalProcessor | undefined;
  readonly #windowNs: bigint;

  constructor(
    @inject(PeerConfig) config: PeerConfig,
    private readonly now: () => Date = () => new Date(),
  ) {
    // As Fabric's handler library config: an empty or zero window means the default.
    const ms = config.durationMs('peer.authentication.timewindow');
    const windowMs = ms === null || ms === 0 ? DEFAULT_WINDOW_MS : ms;
    this.#windowNs = BigInt(Math.round(windowMs * 1e6));
  }

  init(next: ProposalProcessor): void {
    this.#next = next;
  }

  async processProposal(
    signed: protos.ISignedProposal,
    context: CallContext,
  ): Promise<protos.IProposalResponse> {
    if (!this.#next) throw new Error('TimeWindowCheck used before init');
    // A missing timestamp is the Unix epoch, as Go's Timestamp.AsTime reads nil.
    const ts = channelHeader(proposalHeader(signed)).timestamp;
    const proposalNs = toNanos(ts?.seconds ?? 0, ts?.nanos ?? 0);
    const nowNs = BigInt(this.now().getTime()) * NS_PER_MS;
    if (nowNs - proposalNs > this.#windowNs || proposalNs - nowNs > this.#windowNs) {
      throw new ProposalRejected(
        `request unauthorized due to incorrect timestamp ${rfc3339(proposalNs)}, ` +
          `peer time ${rfc3339(nowNs)}, peer.authentication.timewindow ${goDuration(this.#windowNs)}`,
      );
    }
    return this.#next.processProposal(signed, context);
  }
}
