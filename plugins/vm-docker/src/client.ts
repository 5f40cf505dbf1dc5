/**
 * The Docker engine client: dockerode over the endpoint of `vm.endpoint`, and the translation of
 * its failures into {@link DockerRuntimeError}s that say which endpoint failed and what to do.
 */
import Docker from 'dockerode';
import { DockerRuntimeError } from './errors.js';
import type { DockerEndpoint } from './settings.js';

/**
 * A dockerode client for `endpoint`. Every option is given explicitly, so that DOCKER_HOST and
 * the other DOCKER_* variables of the peer's environment do not redirect it.
 */
export function createDockerClient(endpoint: DockerEndpoint): Docker {
  // No connection timeout: docker-modem's only clears it at the response, which a build or an
  // import sends after the whole upload; callers that must not wait long pass an abort signal.
  const options: Docker.DockerOptions = {
    socketPath: endpoint.socketPath,
    host: endpoint.host,
    port: endpoint.port,
    protocol: endpoint.protocol ?? 'http',
    ca: endpoint.tls?.ca,
    cert: endpoint.tls?.cert,
    key: endpoint.tls?.key,
  };
  return new Docker(options);
}

/** Error codes of a connection that never reached the engine. */
const UNREACHABLE = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'EACCES',
  'EPERM',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'EPIPE',
]);

/** What dockerode's errors carry. */
interface DockerodeError extends Error {
  code?: string;
  statusCode?: number;
  reason?: string;
  json?: unknown;
}

/** The HTTP status of an engine answer, when the error is one. */
export function statusOf(err: unknown): number | undefined {
  const s = (err as DockerodeError | undefined)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** The engine's own message of an error answer (`{"message": ...}`), or the error's message. */
export function engineMessage(err: unknown): string {
  const e = err as DockerodeError;
  const json = e?.json;
  if (typeof json === 'object' && json !== null) {
    const m = (json as Record<string, unknown>)['message'];
    if (typeof m === 'string' && m !== '') return m;
  }
  if (typeof json === 'string' && json.trim() !== '') return json.trim();
  return e instanceof Error ? e.message : String(err);
}

/** True when `err` means the engine could not be reached at all. */
export function isUnreachable(err: unknown): boolean {
  const e = err as DockerodeError | undefined;
  if (e === undefined || e === null) return false;
  if (typeof e.code === 'string' && UNREACHABLE.has(e.code)) return true;
  return /connection timeout/i.test(e.message ?? '');
}

/** The error for an engine that cannot be reached, with what to do about it. */
export function unreachableError(endpoint: string, err: unknown): DockerRuntimeError {
  const e = err as DockerodeError;
  const reason = e instanceof Error ? e.message : String(err);
  const hint =
    e?.code === 'EACCES' || e?.code === 'EPERM'
      ? 'does the peer have permission to use the Docker socket?'
      : 'is the Docker engine running?';
  return new DockerRuntimeError(
    'DOCKER_UNREACHABLE',
    `cannot reach the Docker engine at ${endpoint} (${reason}): ${hint} ` +
      `vm.endpoint=${endpoint}; start the engine or point vm.endpoint at it`,
    { cause: err, details: { endpoint, ...(e?.code ? { errno: e.code } : {}) } },
  );
}

/**
 * Translates a dockerode failure of `operation` (words, e.g. `create container x`): an unreachable
 * engine becomes DOCKER_UNREACHABLE, anything else `code` with the engine's message.
 */
export function dockerError(
  endpoint: string,
  operation: string,
  err: unknown,
  code: 'DOCKER_REQUEST_FAILED' | 'DOCKER_START_FAILED' = 'DOCKER_REQUEST_FAILED',
  details: Record<string, unknown> = {},
): DockerRuntimeError {
  if (err instanceof DockerRuntimeError) return err;
  if (isUnreachable(err)) return unreachableError(endpoint, err);
  const status = statusOf(err);
  return new DockerRuntimeError(code, `${operation} failed: ${engineMessage(err)}`, {
    cause: err,
    details: { endpoint, ...(status !== undefined ? { status } : {}), ...details },
  });
}
