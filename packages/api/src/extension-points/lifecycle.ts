/**
 * Something with a life: a server, a database connection, a runtime. The core starts services in
 * dependency order and stops them in reverse.
 */
export interface Service {
  /** Unique among services; other services name it in `dependsOn`. */
  readonly name: string;
  /** Names of services that must be started before this one (and stopped after it). */
  readonly dependsOn?: readonly string[];
  /** Acquire resources. Throwing aborts start-up; services already started are stopped. */
  start(): Promise<void>;
  /** Release resources. Must be safe to call once after a successful `start`. */
  stop(): Promise<void>;
}
/** Identifier of {@link Service} contributions. */
export const Service: unique symbol = Symbol.for('@fabric-peer/api/Service');
