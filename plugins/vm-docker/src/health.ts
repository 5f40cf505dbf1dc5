/**
 * Health checker `docker` (Fabric's DockerVM HealthCheck): the engine at `vm.endpoint` answers a
 * ping within a few seconds.
 */
import type Docker from 'dockerode';
import {
  inject,
  injectable,
  LoggerFactory,
  PeerConfig,
  type HealthChecker,
  type Logger,
} from '@fabric-peer/api';
import { createDockerClient, dockerError } from './client.js';
import { readDockerSettings, type DockerEndpoint } from './settings.js';

/** How long a ping may take before the engine counts as unhealthy. */
export const PING_TIMEOUT_MS = 5_000;

/** Reports whether the Docker engine answers. */
@injectable()
export class DockerHealthChecker implements HealthChecker {
  readonly component = 'docker';
  readonly #endpoint: DockerEndpoint;
  readonly #docker: Docker;
  readonly #log: Logger;

  constructor(
    @inject(PeerConfig) config: PeerConfig,
    @inject(LoggerFactory) loggers: LoggerFactory,
  ) {
    this.#endpoint = readDockerSettings(config).endpoint;
    this.#docker = createDockerClient(this.#endpoint);
    this.#log = loggers('dockercontroller');
  }

  /** The plain construction path (tests, tools). */
  static create(options: { config: PeerConfig; loggers: LoggerFactory }): DockerHealthChecker {
    return new DockerHealthChecker(options.config, options.loggers);
  }

  async check(): Promise<void> {
    try {
      // dockerode's types omit the options argument its ping takes.
      const ping = this.#docker.ping.bind(this.#docker) as unknown as (opts: {
        abortSignal: AbortSignal;
      }) => Promise<unknown>;
      await ping({ abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS) });
    } catch (err) {
      const cause =
        (err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError'
          ? dockerError(
              this.#endpoint.url,
              'ping',
              Object.assign(new Error(`no answer within ${PING_TIMEOUT_MS} ms`), {
                code: 'ETIMEDOUT',
              }),
            )
          : dockerError(this.#endpoint.url, 'ping', err);
      this.#log.debug('docker health check failed', { error: cause.message });
      // Fabric's wording first, then what failed and what to do.
      throw new Error(`failed to ping to Docker daemon: ${cause.message}`, { cause });
    }
  }
}
