/**
 * An endorsement plan (Fabric's gateway endorsement.go): alternative layouts, each naming how many
 * endorsements it needs from each group (here, an organization), and the peers of each group in
 * preference order. Endorsements are collected layout by layout; a peer that fails is replaced by
 * the next of its group, and a group that runs out of peers rules out every layout that needs it.
 * Every response must carry the same payload as the first one.
 */
import type { protos } from '@fabric-peer/protos';
import type { EndorserEndpoint } from './endpoints.js';
import type { EndpointErrorDetail } from './errors.js';

/** How many endorsements a layout needs from each organization. */
export type OrgLayout = ReadonlyMap<string, number>;

interface Layout {
  readonly required: Map<string, number>;
  readonly endorsements: (protos.Endorsement.$Properties | null | undefined)[];
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

export class EndorsementPlan {
  private readonly layouts: (Layout | undefined)[];
  private readonly groupEndorsers: Map<string, EndorserEndpoint[]>;
  private nextLayout = 0;
  /** The payload every endorsement must match (the first one's). */
  responsePayload: Uint8Array | undefined;
  /** The layout whose requirements are all met, once one is. */
  completed:
    | { readonly endorsements: readonly (protos.Endorsement.$Properties | null | undefined)[] }
    | undefined;
  readonly errorDetails: EndpointErrorDetail[] = [];

  constructor(
    layouts: readonly OrgLayout[],
    groupEndorsers: ReadonlyMap<string, readonly EndorserEndpoint[]>,
    private readonly onMismatch?: (endorser: EndorserEndpoint) => void,
  ) {
    this.layouts = layouts.map((l) => ({ required: new Map(l), endorsements: [] }));
    this.groupEndorsers = new Map([...groupEndorsers].map(([g, list]) => [g, [...list]]));
    // A layout that needs nothing is met at once (e.g. a namespace policy the interest disregards).
    const empty = this.layouts.find((l) => l !== undefined && l.required.size === 0);
    if (empty !== undefined) this.completed = empty;
  }

  /** The peers to ask for the next layout that can still be met, or undefined when none can. */
  endorsers(): EndorserEndpoint[] | undefined {
    for (;;) {
      while (this.nextLayout < this.layouts.length && this.layouts[this.nextLayout] === undefined) {
        this.nextLayout++;
      }
      const layout = this.layouts[this.nextLayout];
      if (layout === undefined) return undefined;
      const chosen: EndorserEndpoint[] = [];
      let possible = true;
      for (const [group, quantity] of layout.required) {
        const peers = this.groupEndorsers.get(group) ?? [];
        if (quantity > peers.length) {
          possible = false;
          break;
        }
        chosen.push(...peers.slice(0, quantity));
      }
      if (!possible) {
        this.layouts[this.nextLayout] = undefined;
        this.nextLayout++;
        continue;
      }
      for (const [group, quantity] of layout.required) {
        this.groupEndorsers.set(group, (this.groupEndorsers.get(group) ?? []).slice(quantity));
      }
      return chosen;
    }
  }

  /**
   * Records a successful response of `endorser`: false when its payload differs from the first
   * response's (the endorsement is not used), true otherwise.
   */
  processEndorsement(
    endorser: EndorserEndpoint,
    response: protos.ProposalResponse.$Properties,
  ): boolean {
    const group = endorser.mspId;
    const peers = this.groupEndorsers.get(group);
    if (peers !== undefined) {
      const i = peers.indexOf(endorser);
      if (i >= 0) peers.splice(i, 1);
    }
    const payload = response.payload ?? new Uint8Array(0);
    if (this.responsePayload === undefined) {
      this.responsePayload = payload;
    } else if (!bytesEqual(this.responsePayload, payload)) {
      this.onMismatch?.(endorser);
      this.errorDetails.push({
        address: endorser.address,
        mspId: endorser.mspId,
        message: 'ProposalResponsePayloads do not match',
      });
      return false;
    }
    for (let i = this.nextLayout; i < this.layouts.length; i++) {
      const layout = this.layouts[i];
      if (layout === undefined) continue;
      const quantity = layout.required.get(group);
      if (quantity === undefined) continue;
      layout.endorsements.push(response.endorsement);
      if (quantity - 1 === 0) {
        layout.required.delete(group);
        if (layout.required.size === 0) {
          this.completed = layout;
          return true;
        }
      } else {
        layout.required.set(group, quantity - 1);
      }
    }
    return true;
  }

  /**
   * The next peer of `endorser`'s group to try after it failed; when the group has none left,
   * every layout that needs the group is ruled out and undefined is returned.
   */
  nextPeerInGroup(endorser: EndorserEndpoint): EndorserEndpoint | undefined {
    const group = endorser.mspId;
    const peers = this.groupEndorsers.get(group) ?? [];
    const next = peers.shift();
    if (next !== undefined) return next;
    // Fabric also steps past the current layout here, which can skip a layout that another
    // group's failure did not rule out; ruling out exactly the layouts that need the group is enough.
    for (let i = this.nextLayout; i < this.layouts.length; i++) {
      if (this.layouts[i]?.required.has(group) === true) this.layouts[i] = undefined;
    }
    return undefined;
  }

  addError(detail: EndpointErrorDetail): void {
    this.errorDetails.push(detail);
  }
}
