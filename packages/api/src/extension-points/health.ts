/**
 * A component that `/healthz` asks. A check resolves when healthy and rejects with an error whose
 * message says what is wrong (it is shown to the operator as the failure reason).
 */
export interface HealthChecker {
  /** Name shown in `/healthz` output, e.g. `docker`, `couchdb`. */
  readonly component: string;
  check(): Promise<void>;
}
/** Identifier of {@link HealthChecker} contributions. */
export const HealthChecker: unique symbol = Symbol.for('@fabric-peer/api/HealthChecker');
