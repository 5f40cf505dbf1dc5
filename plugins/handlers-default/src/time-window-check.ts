/**
 * TimeWindowCheck (a default filter from Fabric v3): refuses a proposal whose timestamp is more than
 * `peer.authentication.timewindow` away from the peer's clock, in either direction.
 */
import { inject, injectable, PeerConfig } from '@fabric-peer/api';
import type { protos } from '@fabric-peer/protos';
import { ProposalRejected } from './errors.js';
import { ForwardingFilter } from './forwarding-filter.js';
import { goDuration, rfc3339, toNanos } from './go-time.js';
import { channelHeader, proposalHeader } from './proposal.js';

/** Fabric's default `peer.authentication.timewindow`, used when the key is empty or zero. */
const DEFAULT_WINDOW_MS = 15 * 60 * 1000;

const NS_PER_MS = 1_000_000n;

@injectable()
export class TimeWindowCheck extends ForwardingFilter {
  readonly #windowNs: bigint;

  constructor(
    @inject(PeerConfig) config: PeerConfig,
    private readonly now: () => Date = () => new Date(),
  ) {
    super();
    // As Fabric's handler library config: an empty or zero window means the default.
    const ms = config.durationMs('peer.authentication.timewindow');
    const windowMs = ms === null || ms === 0 ? DEFAULT_WINDOW_MS : ms;
    this.#windowNs = BigInt(Math.round(windowMs * 1e6));
  }

  protected check(signed: protos.ISignedProposal): void {
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
  }
}
