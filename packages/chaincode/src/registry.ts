/**
 * The handlers of registered chaincodes and the launches under way (Fabric's HandlerRegistry and
 * LaunchState). A chaincode may register only while the peer launches it, except in dev mode.
 */
import type { Handler, HandlerRegistration } from './handler/handler.js';

/** One launch of a chaincode: settles once, when it is READY or has failed. */
export class LaunchState {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (err: Error) => void;
  private settledValue = false;

  constructor() {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Waiters attach their own handlers; an unobserved failure is not an unhandled rejection.
    this.done.catch(() => undefined);
  }

  get settled(): boolean {
    return this.settledValue;
  }

  /** Fabric's Notify: the first outcome wins. */
  notify(err?: Error): void {
    if (this.settledValue) return;
    this.settledValue = true;
    if (err === undefined) this.resolveDone();
    else this.rejectDone(err);
  }
}

export class HandlerRegistry implements HandlerRegistration {
  private readonly handlers = new Map<string, Handler>();
  private readonly launches = new Map<string, LaunchState>();

  /**
   * @param allowUnsolicitedRegistration dev mode: any chaincode id may register itself.
   * @param onDeregistered told when a registered handler's stream has ended.
   */
  constructor(
    private readonly allowUnsolicitedRegistration: boolean,
    private readonly onDeregistered?: (chaincodeId: string, handler: Handler) => void,
  ) {}

  /** The READY (or registering) handler of a chaincode id. */
  handler(chaincodeId: string): Handler | undefined {
    return this.handlers.get(chaincodeId);
  }

  /** Every registered handler. */
  all(): Handler[] {
    return [...this.handlers.values()];
  }

  /**
   * Fabric's Launching: the launch of `chaincodeId`, and whether it had already started (by an
   * earlier caller, or by the chaincode registering on its own).
   */
  launching(chaincodeId: string): { state: LaunchState; started: boolean } {
    const existing = this.launches.get(chaincodeId);
    if (existing !== undefined) return { state: existing, started: true };
    if (this.handlers.has(chaincodeId)) {
      const state = new LaunchState();
      state.notify();
      return { state, started: true };
    }
    const state = new LaunchState();
    this.launches.set(chaincodeId, state);
    return { state, started: false };
  }

  ready(chaincodeId: string): void {
    this.launches.get(chaincodeId)?.notify();
  }

  failed(chaincodeId: string, err: Error): void {
    this.launches.get(chaincodeId)?.notify(err);
  }

  register(handler: Handler): void {
    const id = handler.chaincodeId;
    if (this.handlers.has(id)) throw new Error(`duplicate chaincodeID: ${id}`);
    if (!this.launches.has(id) && !this.allowUnsolicitedRegistration) {
      throw new Error(
        `peer will not accept external chaincode connection ${id} (except in dev mode)`,
      );
    }
    this.handlers.set(id, handler);
  }

  /** The handler's stream ended: forget it and its launch, so that the next call relaunches. */
  deregister(handler: Handler): void {
    const id = handler.chaincodeId;
    if (this.handlers.get(id) !== handler) return;
    this.handlers.delete(id);
    const launch = this.launches.get(id);
    this.launches.delete(id);
    launch?.notify(new Error(`chaincode ${id} stream ended before it was ready`));
    this.onDeregistered?.(id, handler);
  }

  /** A launch failed: forget it and close whatever registered meanwhile. */
  abandon(chaincodeId: string, state: LaunchState, err: Error): void {
    if (this.launches.get(chaincodeId) === state) this.launches.delete(chaincodeId);
    state.notify(err);
    const handler = this.handlers.get(chaincodeId);
    if (handler !== undefined) handler.close(err);
  }
}
