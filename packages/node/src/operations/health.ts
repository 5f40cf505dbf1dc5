/**
 * Runs every registered health checker for `/healthz`, in parallel, each bounded by a timeout, and
 * reports as Fabric's healthz handler does.
 */
import type { HealthChecker } from '@fabric-peer/api';

export interface FailedCheck {
  readonly component: string;
  readonly reason: string;
}

/** Fabric's healthz response body. */
export interface HealthStatus {
  readonly status: 'OK' | 'Service Unavailable';
  readonly time: string;
  readonly failed_checks?: readonly FailedCheck[];
}

export async function runHealthChecks(
  checkers: readonly HealthChecker[],
  timeoutMs: number,
  now: () => Date = () => new Date(),
): Promise<HealthStatus> {
  const results = await Promise.all(
    checkers.map(async (c): Promise<FailedCheck | undefined> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          c.check(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no answer within ${timeoutMs} ms`)),
              timeoutMs,
            );
          }),
        ]);
        return undefined;
      } catch (err) {
        return { component: c.component, reason: err instanceof Error ? err.message : String(err) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const failed = results.filter((r): r is FailedCheck => r !== undefined);
  const time = now().toISOString();
  return failed.length === 0
    ? { status: 'OK', time }
    : { status: 'Service Unavailable', time, failed_checks: failed };
}
