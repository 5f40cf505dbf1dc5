/**
 * After `fabric-peer node reset` (Fabric's `peer node reset`), the peer's ledgers are back at their
 * genesis blocks and refill from the ordering service; until each is back at the height it had,
 * proposals are refused — an endorsement against an old state would be wrong — with Fabric's
 * message (its reset auth filter and resetLoop in `peer node start`). The heights are checked every
 * `intervalMs` (Fabric: 10 s); once all are reached, the recorded heights are cleared.
 */
import {
  FabricPeerError,
  type CallContext,
  type Logger,
  type ProposalProcessor,
} from '@fabric-peer/api';
import type { protos } from '@fabric-peer/protos';

export interface RebuildGateOptions {
  /** The heights to reach, by channel (the ledger manager's pre-reset heights). */
  readonly heights: ReadonlyMap<string, number>;
  /** A channel's current height, or undefined when it has no open ledger. */
  readonly heightOf: (channelId: string) => number | undefined;
  /** Called once every channel is back at its height (clears the recorded heights). */
  readonly onRebuilt: () => Promise<void>;
  readonly intervalMs?: number;
  readonly logger?: Logger;
}

export class RebuildGate implements ProposalProcessor {
  readonly #pending: Map<string, number>;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly next: ProposalProcessor,
    private readonly options: RebuildGateOptions,
  ) {
    this.#pending = new Map(options.heights);
  }

  /** Whether proposals are refused. */
  get blocked(): boolean {
    return this.#pending.size > 0;
  }

  start(): void {
    if (!this.blocked) return;
    for (const [channel, height] of this.#pending) {
      this.options.logger?.info(
        `Ledger rebuild: channel [${channel}]: preresetHeight: [${height}]`,
      );
    }
    this.options.logger?.info(
      'Ledger rebuild: endorsement request processing is disabled until the ledgers are back at their pre-reset heights',
    );
    this.#timer = setInterval(() => this.check(), this.options.intervalMs ?? 10_000);
    this.#timer.unref();
  }

  /** One check of the heights (the timer's; exposed for tests). */
  check(): void {
    if (!this.blocked) return;
    for (const [channel, height] of this.#pending) {
      const current = this.options.heightOf(channel);
      if (current === undefined) {
        this.options.logger?.warn(`No ledger found for channel [${channel}]`);
      } else if (current >= height) {
        this.#pending.delete(channel);
      }
    }
    if (this.blocked) return;
    this.stop();
    this.options.logger?.info(
      'Ledger rebuild: complete, all ledgers are back at their pre-reset heights; endorsement request processing is enabled',
    );
    this.options.onRebuilt().catch((err: unknown) =>
      this.options.logger?.warn('Ledger rebuild: could not clear the pre-reset heights', {
        error: String(err),
      }),
    );
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  processProposal(
    signedProposal: protos.ISignedProposal,
    context: CallContext,
  ): Promise<protos.IProposalResponse> {
    if (this.blocked) {
      return Promise.reject(
        new FabricPeerError(
          'LEDGERS_REBUILDING',
          'endorse requests are blocked while ledgers are being rebuilt',
        ),
      );
    }
    return this.next.processProposal(signedProposal, context);
  }
}
