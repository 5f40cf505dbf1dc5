/**
 * Starts services in dependency order and stops them in reverse, within a time budget, so that
 * SIGTERM always ends the process promptly even when one service hangs.
 */
import type { Logger, Service } from '@fabric-peer/api';
import { FabricPeerError } from '@fabric-peer/api';

/** Start-up failed or the service graph is wrong; `details.service` names the service. */
export class LifecycleError extends FabricPeerError {}

/** Orders services so that each comes after those it depends on (stable: ties keep input order). */
export function orderServices(services: readonly Service[]): Service[] {
  const byName = new Map<string, Service>();
  for (const s of services) {
    if (byName.has(s.name)) {
      throw new LifecycleError('SERVICE_DUPLICATE', `two services are named "${s.name}"`, {
        details: { service: s.name },
      });
    }
    byName.set(s.name, s);
  }
  for (const s of services) {
    for (const d of s.dependsOn ?? []) {
      if (!byName.has(d)) {
        throw new LifecycleError(
          'SERVICE_UNKNOWN_DEPENDENCY',
          `service "${s.name}" depends on "${d}", which is not bound (bound: ${[...byName.keys()].join(', ')})`,
          { details: { service: s.name, dependency: d } },
        );
      }
    }
  }
  const ordered: Service[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (s: Service, path: string[]): void => {
    const st = state.get(s.name);
    if (st === 'done') return;
    if (st === 'visiting') {
      const cycle = [...path.slice(path.indexOf(s.name)), s.name].join(' → ');
      throw new LifecycleError(
        'SERVICE_CYCLE',
        `services depend on each other in a cycle: ${cycle}`,
        {
          details: { service: s.name },
        },
      );
    }
    state.set(s.name, 'visiting');
    for (const d of s.dependsOn ?? []) visit(byName.get(d)!, [...path, s.name]);
    state.set(s.name, 'done');
    ordered.push(s);
  };
  for (const s of services) visit(s, []);
  return ordered;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export interface LifecycleOptions {
  /** Total time allowed for stopping every service. */
  readonly stopTimeoutMs: number;
}

/** Runs a set of services through start and stop. */
export class LifecycleManager {
  readonly #ordered: Service[];
  readonly #started: Service[] = [];
  #stopping: Promise<void> | undefined;

  constructor(
    services: readonly Service[],
    private readonly logger: Logger,
    private readonly options: LifecycleOptions,
  ) {
    this.#ordered = orderServices(services);
  }

  /** The services in start order. */
  get order(): readonly string[] {
    return this.#ordered.map((s) => s.name);
  }

  /**
   * Starts every service in order. If one fails, those already started are stopped in reverse
   * and a LifecycleError naming the failed service is thrown.
   */
  async start(): Promise<void> {
    for (const s of this.#ordered) {
      this.logger.debug('starting service', { service: s.name });
      try {
        await s.start();
      } catch (err) {
        this.logger.error('service failed to start; stopping the others', {
          service: s.name,
          error: err,
        });
        await this.stop();
        throw new LifecycleError(
          'SERVICE_START_FAILED',
          `${s.name}: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err, details: { service: s.name } },
        );
      }
      this.#started.push(s);
    }
  }

  /**
   * Stops the started services in reverse order. Each gets what is left of the time budget; one
   * that fails or overruns is logged and skipped. Calling it again returns the same promise.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopAll();
    return this.#stopping;
  }

  async #stopAll(): Promise<void> {
    const deadline = Date.now() + this.options.stopTimeoutMs;
    while (this.#started.length > 0) {
      const s = this.#started.pop()!;
      const left = Math.max(1, deadline - Date.now());
      try {
        await withTimeout(s.stop(), left, `stopping ${s.name}`);
        this.logger.debug('stopped service', { service: s.name });
      } catch (err) {
        this.logger.warn('service did not stop cleanly', { service: s.name, error: err });
      }
    }
  }
}
