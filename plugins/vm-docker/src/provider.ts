/**
 * The `docker` chaincode runtime (Fabric's DockerVM `Build`): a Node.js chaincode package becomes
 * an image named as Fabric names it, built once with `docker build` from a context made here (no
 * builder image, no npm: the shim's modules come from the peer's machine) and reused while it
 * exists.
 */
import type Docker from 'dockerode';
import {
  inject,
  injectable,
  LoggerFactory,
  MetricsProvider,
  optional,
  PeerConfig,
  type ChaincodePackage,
  type Histogram,
  type Logger,
  type VmProvider,
} from '@fabric-peer/api';
import { createDockerClient, dockerError, engineMessage, statusOf } from './client.js';
import { DockerRuntimeError } from './errors.js';
import { DockerChaincodeInstance, type InstanceContext } from './instance.js';
import { containerName, imageName } from './names.js';
import {
  buildContext,
  dockerfile,
  missingDependencies,
  readNodeCode,
  startCommand,
} from './node-platform.js';
import { readDockerSettings, type DockerSettings } from './settings.js';
import { tarStream } from './tar.js';
import { collectVendoredModules, type VendoredModules } from './vendor.js';

/** Logger module of the runtime (Fabric's `dockercontroller`). */
export const LOGGER_MODULE = 'dockercontroller';

/** Lines of the build log a failed build's error ends with. */
const BUILD_LOG_TAIL = 20;

/** Options of {@link DockerVmProvider.create}. */
export interface DockerVmProviderOptions {
  /** The peer's configuration (the keys are listed in the README). */
  readonly config: PeerConfig;
  readonly loggers: LoggerFactory;
  readonly metrics?: MetricsProvider;
  /** Folder the vendored modules are resolved from; default this plugin's folder. */
  readonly vendorFrom?: string;
}

/** One line of `docker build` output. */
interface BuildEvent {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/**
 * The JSON lines of a `docker build` answer. Unlike docker-modem's followProgress, a line that is
 * not JSON is kept as text instead of throwing from a stream handler.
 */
async function readBuildEvents(
  stream: NodeJS.ReadableStream,
  onEvent: (e: BuildEvent) => void,
): Promise<BuildEvent[]> {
  const events: BuildEvent[] = [];
  let buf = '';
  const take = (line: string): void => {
    const text = line.replace(/\r$/, '');
    if (text.trim() === '') return;
    let event: BuildEvent;
    try {
      const parsed: unknown = JSON.parse(text);
      event = typeof parsed === 'object' && parsed !== null ? parsed : { stream: text };
    } catch {
      event = { stream: text };
    }
    events.push(event);
    onEvent(event);
  };
  for await (const chunk of stream) {
    buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      take(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  }
  take(buf);
  return events;
}

/** Builds Node.js chaincode packages into images and hands out their instances. */
@injectable()
export class DockerVmProvider implements VmProvider {
  readonly name = 'docker';
  readonly settings: DockerSettings;
  readonly #docker: Docker;
  readonly #log: Logger;
  readonly #ctx: InstanceContext;
  readonly #buildDuration: Histogram | undefined;
  #vendorFrom: string | undefined;
  #vendored: Promise<VendoredModules> | undefined;
  /** Builds under way, by image name: one build however many callers ask. */
  readonly #building = new Map<string, Promise<void>>();

  constructor(
    @inject(PeerConfig) config: PeerConfig,
    @inject(LoggerFactory) loggers: LoggerFactory,
    @inject(MetricsProvider) @optional() metrics?: MetricsProvider,
  ) {
    this.settings = readDockerSettings(config);
    this.#docker = createDockerClient(this.settings.endpoint);
    this.#log = loggers(LOGGER_MODULE);
    this.#ctx = { docker: this.#docker, settings: this.settings, loggers, log: this.#log };
    this.#buildDuration = metrics?.newHistogram({
      namespace: 'dockercontroller',
      name: 'chaincode_container_build_duration',
      help: 'The time to build a chaincode image in seconds.',
      labelNames: ['chaincode', 'success'],
      statsdFormat: '%{#fqname}.%{chaincode}.%{success}',
    });
    if (this.settings.pull) {
      this.#log.warn(
        'chaincode.pull is set, but this runtime never pulls: images are built locally from ' +
          'chaincode.node.runtime, which must exist on the Docker engine',
      );
    }
  }

  /** The plain construction path (tests, tools): the same as the container's. */
  static create(options: DockerVmProviderOptions): DockerVmProvider {
    const provider = new DockerVmProvider(options.config, options.loggers, options.metrics);
    provider.#vendorFrom = options.vendorFrom;
    return provider;
  }

  /** The dockerode client this provider talks to the engine with. */
  get docker(): Docker {
    return this.#docker;
  }

  /** Node.js packages only; the Docker runtime of Fabric also builds golang and java ones. */
  accepts(pkg: ChaincodePackage): Promise<boolean> {
    return Promise.resolve(String(pkg.type).toLowerCase() === 'node');
  }

  /** The image name of a chaincode (Fabric's GetVMNameForDocker). */
  imageName(chaincodeId: string): string {
    return imageName(this.settings, chaincodeId);
  }

  /** The container name of a chaincode (Fabric's GetVMName). */
  containerName(chaincodeId: string): string {
    return containerName(this.settings, chaincodeId);
  }

  async build(chaincodeId: string, pkg: ChaincodePackage): Promise<DockerChaincodeInstance> {
    if (String(pkg.type).toLowerCase() !== 'node') {
      throw new DockerRuntimeError(
        'DOCKER_UNSUPPORTED_TYPE',
        `the docker runtime builds node chaincode only; ${chaincodeId} is of type ${pkg.type}`,
        { details: { chaincodeId, type: pkg.type } },
      );
    }
    const image = this.imageName(chaincodeId);
    if (!(await this.#imageExists(image))) {
      let building = this.#building.get(image);
      if (building === undefined) {
        building = this.#buildImage(chaincodeId, image, pkg).finally(() => {
          this.#building.delete(image);
        });
        this.#building.set(image, building);
      }
      await building;
    }
    return new DockerChaincodeInstance(
      this.#ctx,
      chaincodeId,
      image,
      this.containerName(chaincodeId),
    );
  }

  async #imageExists(image: string): Promise<boolean> {
    try {
      await this.#docker.getImage(image).inspect();
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw dockerError(this.settings.endpoint.url, `docker image inspection of ${image}`, err);
    }
  }

  #vendoredModules(): Promise<VendoredModules> {
    if (this.#vendored === undefined) {
      const p = collectVendoredModules(this.#vendorFrom);
      this.#vendored = p;
      // A failure is reported to this build and retried by the next.
      p.catch(() => {
        if (this.#vendored === p) this.#vendored = undefined;
      });
    }
    return this.#vendored;
  }

  async #buildImage(chaincodeId: string, image: string, pkg: ChaincodePackage): Promise<void> {
    const runtime = this.settings.nodeRuntimeImage;
    if (!(await this.#imageExists(runtime))) {
      throw new DockerRuntimeError(
        'DOCKER_RUNTIME_IMAGE_MISSING',
        `the Node.js chaincode runtime image ${runtime} (chaincode.node.runtime) does not exist ` +
          `on the Docker engine at ${this.settings.endpoint.url}; no registry is used, so build it ` +
          'there (see the README of @fabric-peer/vm-docker: ensureNodeBaseImage) or set ' +
          'chaincode.node.runtime to an image the engine has',
        { details: { chaincodeId, image: runtime, key: 'chaincode.node.runtime' } },
      );
    }
    const code = await readNodeCode(chaincodeId, pkg.codeArchive);
    const start = startCommand(chaincodeId, code);
    const vendored = await this.#vendoredModules();
    const missing = missingDependencies(code, vendored.topLevel);
    if (missing.length > 0) {
      throw new DockerRuntimeError(
        'DOCKER_INVALID_PACKAGE',
        `chaincode package ${chaincodeId} cannot be built: its dependencies ${missing.join(', ')} ` +
          'cannot be installed (chaincode images are built without a registry; the peer provides ' +
          'fabric-shim, fabric-contract-api and their dependencies): put them in the package ' +
          'under src/node_modules',
        { details: { chaincodeId, missing } },
      );
    }
    const context = buildContext(
      dockerfile(runtime, start, chaincodeId, vendored.versions),
      code,
      vendored.entries,
    );

    const started = performance.now();
    let ok = false;
    try {
      await this.#dockerBuild(chaincodeId, image, context);
      ok = true;
    } finally {
      this.#buildDuration?.observe((performance.now() - started) / 1000, {
        chaincode: chaincodeId,
        success: String(ok),
      });
    }
  }

  async #dockerBuild(
    chaincodeId: string,
    image: string,
    context: Parameters<typeof tarStream>[0],
  ): Promise<void> {
    const endpoint = this.settings.endpoint.url;
    const lines: string[] = [];
    const failed = (message: string, cause?: unknown) =>
      new DockerRuntimeError(
        'DOCKER_BUILD_FAILED',
        `docker image build failed for ${chaincodeId}: ${message}` +
          (lines.length > 0
            ? `\nbuild log (last lines):\n${lines.slice(-BUILD_LOG_TAIL).join('\n')}`
            : ''),
        { ...(cause !== undefined ? { cause } : {}), details: { chaincodeId, image, endpoint } },
      );
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.#docker.buildImage(tarStream(context), {
        t: image,
        rm: true,
        forcerm: true,
        labels: {
          'org.hyperledger.fabric-peer.peer': `${this.settings.networkId}/${this.settings.peerId}`,
        },
      });
    } catch (err) {
      const e = dockerError(endpoint, `docker image build for ${chaincodeId}`, err);
      if (e.code === 'DOCKER_UNREACHABLE') throw e;
      throw failed(engineMessage(err), err);
    }
    let events: BuildEvent[];
    try {
      events = await readBuildEvents(stream, (event) => {
        for (const l of (event.stream ?? '').split('\n')) {
          if (l.trim() !== '') lines.push(l.trimEnd());
        }
        if (event.error !== undefined) lines.push(event.error);
      });
    } catch (err) {
      throw failed((err as Error).message, err);
    }
    const error = events.find((e) => e.error !== undefined);
    if (error !== undefined)
      throw failed(error.errorDetail?.message ?? error.error ?? 'unknown error');
    this.#log.debug(`Created image: ${image}`, { chaincodeId, output: lines.join('\n') });
  }
}
