/**
 * One chaincode image, run as a container (Fabric's dockercontroller `ContainerInstance`): the
 * container is named after the peer and the chaincode ID, gets Fabric's environment and, with TLS,
 * the client certificate and key uploaded before it starts; it runs on the configured host
 * settings (by default the host network, so the chaincode reaches the peer on 127.0.0.1).
 */
import type { IncomingMessage } from 'node:http';
import type Docker from 'dockerode';
import type {
  ChaincodeInstance,
  ChaincodeServerInfo,
  Logger,
  LoggerFactory,
  PeerConnection,
} from '@fabric-peer/api';
import { dockerError, statusOf } from './client.js';
import { DockerRuntimeError } from './errors.js';
import { LABEL_CHAINCODE_ID } from './node-platform.js';
import { attachOutput } from './output.js';
import type { DockerSettings } from './settings.js';
import { tarBuffer } from './tar.js';

/** Fabric's paths of the TLS material in the container. */
export const TLS_CLIENT_KEY_PATH = '/etc/hyperledger/fabric/client.key';
export const TLS_CLIENT_CERT_PATH = '/etc/hyperledger/fabric/client.crt';
export const TLS_CLIENT_KEY_FILE = '/etc/hyperledger/fabric/client_pem.key';
export const TLS_CLIENT_CERT_FILE = '/etc/hyperledger/fabric/client_pem.crt';
export const TLS_ROOT_CERT_FILE = '/etc/hyperledger/fabric/peer.crt';

/** Seconds `docker stop` lets the chaincode end on SIGTERM before it is killed. */
export const STOP_TIMEOUT_SECONDS = 2;

/** Label naming the peer a container belongs to (`<networkId>/<peerId>`). */
export const LABEL_PEER = 'org.hyperledger.fabric-peer.peer';

/** What an instance needs from the provider that built it. */
export interface InstanceContext {
  readonly docker: Docker;
  readonly settings: DockerSettings;
  readonly loggers: LoggerFactory;
  readonly log: Logger;
}

/** The environment Fabric gives a chaincode container (GetEnv), plus CORE_PEER_ADDRESS. */
export function containerEnv(
  settings: DockerSettings,
  chaincodeId: string,
  peer: PeerConnection,
): string[] {
  const env = [
    `CORE_CHAINCODE_ID_NAME=${chaincodeId}`,
    `CORE_PEER_ADDRESS=${peer.address}`,
    ...settings.loggingEnv,
  ];
  if (peer.tls !== undefined) {
    env.push(
      'CORE_PEER_TLS_ENABLED=true',
      `CORE_TLS_CLIENT_KEY_PATH=${TLS_CLIENT_KEY_PATH}`,
      `CORE_TLS_CLIENT_CERT_PATH=${TLS_CLIENT_CERT_PATH}`,
      `CORE_TLS_CLIENT_KEY_FILE=${TLS_CLIENT_KEY_FILE}`,
      `CORE_TLS_CLIENT_CERT_FILE=${TLS_CLIENT_CERT_FILE}`,
      `CORE_PEER_TLS_ROOTCERT_FILE=${TLS_ROOT_CERT_FILE}`,
    );
  } else {
    env.push('CORE_PEER_TLS_ENABLED=false');
  }
  env.push(`CORE_PEER_LOCALMSPID=${settings.mspId}`);
  return env;
}

/**
 * The TLS files as a tar for `putArchive` at `/`. As Fabric does, the key and certificate at the
 * `*_PATH` locations are base64 of the PEM (the Node shim decodes them so), the `*_FILE` ones and
 * the root certificate plain PEM.
 */
export function tlsArchive(tls: NonNullable<PeerConnection['tls']>): Promise<Buffer> {
  const b64 = (pem: string) => Buffer.from(Buffer.from(pem, 'utf8').toString('base64'), 'utf8');
  const pem = (text: string) => Buffer.from(text, 'utf8');
  const file = (path: string, data: Buffer) => ({
    type: 'file' as const,
    path: path.slice(1),
    data,
  });
  return tarBuffer([
    { type: 'dir', path: 'etc' },
    { type: 'dir', path: 'etc/hyperledger' },
    { type: 'dir', path: 'etc/hyperledger/fabric' },
    file(TLS_CLIENT_KEY_PATH, b64(tls.clientKey)),
    file(TLS_CLIENT_CERT_PATH, b64(tls.clientCert)),
    file(TLS_CLIENT_KEY_FILE, pem(tls.clientKey)),
    file(TLS_CLIENT_CERT_FILE, pem(tls.clientCert)),
    file(TLS_ROOT_CERT_FILE, pem(tls.rootCert)),
  ]);
}

/** Reads a `docker wait` answer: `{"StatusCode": n, "Error": ...}`. */
async function readWaitBody(res: IncomingMessage): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const body = JSON.parse(text) as { StatusCode?: unknown; Error?: { Message?: string } | null };
  if (body.Error?.Message) throw new Error(body.Error.Message);
  if (typeof body.StatusCode !== 'number')
    throw new Error(`unexpected docker wait answer: ${text}`);
  return body.StatusCode;
}

/** A chaincode image that can be run as a container. */
export class DockerChaincodeInstance implements ChaincodeInstance {
  readonly chaincodeId: string;
  /** The image (Fabric's GetVMNameForDocker). */
  readonly image: string;
  /** The container (Fabric's GetVMName). */
  readonly containerName: string;
  readonly #ctx: InstanceContext;
  /** The exit code of the container started last, once it ends. */
  #exit: Promise<number> | undefined;
  /** Serialises start and stop, so a stop during a start removes what the start made. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(ctx: InstanceContext, chaincodeId: string, image: string, containerName: string) {
    this.#ctx = ctx;
    this.chaincodeId = chaincodeId;
    this.image = image;
    this.containerName = containerName;
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(op, op);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  start(peer: PeerConnection): Promise<void> {
    return this.#serial(() => this.#start(peer));
  }

  async #start(peer: PeerConnection): Promise<void> {
    const { docker, settings, log } = this.#ctx;
    const endpoint = settings.endpoint.url;
    const name = this.containerName;
    const fail = (what: string, err: unknown) =>
      dockerError(endpoint, `${what} ${name}`, err, 'DOCKER_START_FAILED', {
        chaincodeId: this.chaincodeId,
        container: name,
        image: this.image,
      });

    // A container left by an earlier run (or an earlier peer process) would hold the name.
    await this.#remove(false);

    const env = containerEnv(settings, this.chaincodeId, peer);
    const args = ['--peer.address', peer.address];
    log.debug('start container', { container: name, image: this.image, args });

    let container: Docker.Container;
    try {
      container = await docker.createContainer({
        name,
        Image: this.image,
        Cmd: args,
        Env: env,
        AttachStdout: settings.attachStdout,
        AttachStderr: settings.attachStdout,
        Labels: {
          [LABEL_CHAINCODE_ID]: this.chaincodeId,
          [LABEL_PEER]: `${settings.networkId}/${settings.peerId}`,
        },
        HostConfig: { ...settings.hostConfig },
      });
    } catch (err) {
      if (statusOf(err) === 404) {
        throw new DockerRuntimeError(
          'DOCKER_START_FAILED',
          `create container ${name} failed: the image ${this.image} of chaincode ` +
            `${this.chaincodeId} does not exist; build the chaincode again`,
          { cause: err, details: { chaincodeId: this.chaincodeId, image: this.image } },
        );
      }
      throw fail('create container', err);
    }

    try {
      if (settings.attachStdout) {
        await attachOutput(docker, container, this.#ctx.loggers(`chaincode.${name}`), log).catch(
          (err: unknown) => {
            // Fabric logs this and starts the chaincode anyway.
            log.error(`error attaching to IO channel in container ${name}`, {
              error: (err as Error).message,
            });
          },
        );
      }
      if (peer.tls !== undefined) {
        try {
          await container.putArchive(await tlsArchive(peer.tls), { path: '/' });
        } catch (err) {
          throw fail('Error uploading files to the container instance', err);
        }
      }
      // The wait is in place before the start (its answer's headers say so), so that even a
      // chaincode that ends at once is seen ending.
      this.#exit = (await this.#waitNextExit(container)).exited;
      try {
        await container.start();
      } catch (err) {
        throw fail('start container', err);
      }
    } catch (err) {
      const exited = this.#exit;
      this.#exit = undefined;
      await this.#remove(false).catch(() => undefined);
      await exited?.catch(() => undefined);
      throw err;
    }
    log.debug(`Started container ${name}`);
  }

  /** Registers a `docker wait` for the next exit and resolves once the engine has it. */
  async #waitNextExit(container: Docker.Container): Promise<{ exited: Promise<number> }> {
    const { docker, settings } = this.#ctx;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      docker.modem.dial(
        {
          path: `/containers/${encodeURIComponent(container.id)}/wait?`,
          method: 'POST',
          options: { condition: 'next-exit' },
          isStream: true,
          statusCodes: {
            200: true,
            400: 'bad parameter',
            404: 'no such container',
            500: 'server error',
          },
        },
        (err: unknown, stream: unknown) => {
          if (err)
            reject(
              dockerError(settings.endpoint.url, `wait for container ${this.containerName}`, err),
            );
          else resolve(stream as IncomingMessage);
        },
      );
    });
    const exited = readWaitBody(res).catch((err: unknown) => {
      throw dockerError(settings.endpoint.url, `wait for container ${this.containerName}`, err);
    });
    // Nobody may ever ask; a failure is still reported to whoever calls wait().
    exited.catch(() => undefined);
    // Wrapped: a promise resolved with a promise would wait for the exit itself.
    return { exited };
  }

  chaincodeServerInfo(): Promise<ChaincodeServerInfo | undefined> {
    return Promise.resolve(undefined);
  }

  /** Stops the container (SIGTERM, then SIGKILL after a short timeout) and removes it. */
  stop(): Promise<void> {
    return this.#serial(async () => {
      await this.#remove(true);
      // The wait of the container just removed has its answer now; let it settle.
      await this.#exit?.catch(() => undefined);
    });
  }

  /** Removes the container of this name, if any; `graceful` first lets it end on SIGTERM. */
  async #remove(graceful: boolean): Promise<void> {
    const { docker, settings, log } = this.#ctx;
    const endpoint = settings.endpoint.url;
    const container = docker.getContainer(this.containerName);
    if (graceful) {
      try {
        await container.stop({ t: STOP_TIMEOUT_SECONDS });
      } catch (err) {
        // 304: not running; 404: no such container. Both are what stop wants.
        const status = statusOf(err);
        if (status === undefined) {
          throw dockerError(endpoint, `stop container ${this.containerName}`, err);
        }
        if (status !== 304 && status !== 404) {
          log.debug('stop container result', { container: this.containerName, error: String(err) });
        }
      }
    }
    try {
      await container.remove({ force: true });
    } catch (err) {
      // 404: gone already; 409: a removal is already under way.
      const status = statusOf(err);
      if (status !== 404 && status !== 409) {
        throw dockerError(endpoint, `remove container ${this.containerName}`, err);
      }
    }
  }

  /**
   * The exit code of the container: of the one this instance started, or (as Fabric's Wait)
   * of the container of this name that is running.
   */
  async wait(): Promise<number> {
    if (this.#exit !== undefined) return this.#exit;
    const { docker, settings } = this.#ctx;
    try {
      const r = (await docker
        .getContainer(this.containerName)
        .wait({ condition: 'not-running' })) as { StatusCode: number };
      return r.StatusCode;
    } catch (err) {
      throw dockerError(settings.endpoint.url, `wait for container ${this.containerName}`, err);
    }
  }
}
