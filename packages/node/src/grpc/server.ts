/**
 * A gRPC listener made from core.yaml: address, TLS and mutual TLS, keepalive and message sizes.
 * The peer has two: `peer.listenAddress` (Endorser, Deliver, Gateway, ...) and
 * `peer.chaincodeListenAddress` (ChaincodeSupport). Services register before start.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger, Service } from '@fabric-peer/api';
import { listenError, parseHostPort } from '../listen.js';

export interface GrpcTlsOptions {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Roots that client certificates must chain to (with clientAuthRequired). */
  readonly clientRootCAs: readonly Buffer[];
  readonly clientAuthRequired: boolean;
}

export interface GrpcServerOptions {
  /** Lifecycle name, e.g. `peer-listener`. */
  readonly name: string;
  /** Config key of the address, named in errors, e.g. `peer.listenAddress`. */
  readonly configKey: string;
  readonly address: string;
  readonly tls?: GrpcTlsOptions;
  /** Server keepalive pings: interval and how long to wait for the answer. */
  readonly keepalive: { readonly intervalMs: number; readonly timeoutMs: number };
  readonly maxRecvMsgSize: number;
  readonly maxSendMsgSize: number;
  readonly interceptors: readonly grpc.ServerInterceptor[];
  readonly logger: Logger;
  readonly dependsOn?: readonly string[];
}

export class GrpcServer implements Service {
  readonly name: string;
  readonly dependsOn?: readonly string[];
  readonly #server: grpc.Server;
  readonly #services: string[] = [];
  #port = 0;
  #started = false;
  /** Client roots required on top of the configured ones (the chaincode CA). */
  /** TLS that replaces the configured one (the chaincode listener's, from the chaincode CA). */
  #tlsOverride: GrpcTlsOptions | undefined;
  /** Calls in progress, so that stop() can end them when the grace period runs out. */
  readonly #calls = new Set<grpc.ServerInterceptingCall>();

  constructor(private readonly options: GrpcServerOptions) {
    this.name = options.name;
    if (options.dependsOn) this.dependsOn = options.dependsOn;
    this.#server = new grpc.Server({
      'grpc.keepalive_time_ms': options.keepalive.intervalMs,
      'grpc.keepalive_timeout_ms': options.keepalive.timeoutMs,
      'grpc.max_receive_message_length': options.maxRecvMsgSize,
      'grpc.max_send_message_length': options.maxSendMsgSize,
      // channelz bookkeeping costs time on every call and nothing here reads it.
      'grpc.enable_channelz': 0,
      // Last, so outermost: a status it sends passes through the others (metrics record it).
      interceptors: [...options.interceptors, this.#tracker],
    });
  }

  /** Keeps every call in progress in #calls until its status is sent or it is cancelled. */
  readonly #tracker: grpc.ServerInterceptor = (_descriptor, next) => {
    const call: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(next, {
      start: (startNext) =>
        startNext(
          new grpc.ServerListenerBuilder().withOnCancel(() => this.#calls.delete(call)).build(),
        ),
      sendStatus: (status, statusNext) => {
        this.#calls.delete(call);
        statusNext(status);
      },
    });
    this.#calls.add(call);
    return call;
  };

  /** The bound port (the configured one, or the one chosen for port 0). */
  get port(): number {
    return this.#port;
  }

  /** Names of the services registered, e.g. `protos.Endorser`. */
  get services(): readonly string[] {
    return this.#services;
  }

  /** Registers a service; only before start, as grpc-js requires. */
  addService(
    definition: grpc.ServiceDefinition,
    implementation: grpc.UntypedServiceImplementation,
  ): void {
    if (this.#started)
      throw new Error(`${this.name}: services must be added before the server starts`);
    this.#server.addService(definition, implementation);
    const first = Object.values(definition)[0];
    if (first) this.#services.push(first.path.split('/')[1] ?? first.path);
  }

  /**
   * With TLS on, serves `cert`/`key` instead of the configured pair and accepts only clients with
   * a certificate chaining to `clientRoot`; only before start. The chaincode listener uses it for
   * the peer's chaincode CA, as Fabric's createChaincodeServer does.
   */
  overrideTls(pair: { certPem: string; keyPem: string }, clientRootPem: string): void {
    if (this.#started) throw new Error(`${this.name}: TLS must be set before start`);
    if (this.options.tls === undefined) return;
    this.#tlsOverride = {
      cert: Buffer.from(pair.certPem),
      key: Buffer.from(pair.keyPem),
      clientRootCAs: [Buffer.from(clientRootPem)],
      clientAuthRequired: true,
    };
  }

  #credentials(): grpc.ServerCredentials {
    const tls = this.#tlsOverride ?? this.options.tls;
    if (!tls) return grpc.ServerCredentials.createInsecure();
    const roots =
      tls.clientAuthRequired && tls.clientRootCAs.length > 0
        ? Buffer.concat(tls.clientRootCAs)
        : null;
    return grpc.ServerCredentials.createSsl(
      roots,
      [{ private_key: tls.key, cert_chain: tls.cert }],
      tls.clientAuthRequired,
    );
  }

  async start(): Promise<void> {
    const { host, port } = parseHostPort(this.options.address);
    const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    this.#port = await new Promise<number>((resolve, reject) => {
      this.#server.bindAsync(target, this.#credentials(), (err, bound) =>
        err
          ? reject(listenError(this.options.configKey, this.options.address, err))
          : resolve(bound),
      );
    });
    this.#started = true;
    this.options.logger.info('gRPC server listening', {
      listener: this.name,
      address: `${host}:${this.#port}`,
      tls: this.options.tls !== undefined,
      clientAuthRequired: (this.#tlsOverride ?? this.options.tls)?.clientAuthRequired ?? false,
      services: this.#services.join(','),
    });
  }

  /**
   * Graceful shutdown: no new connections, and calls in progress get a second to finish. Those
   * still open then (streams such as Deliver or health Watch) end with UNAVAILABLE. grpc-js's
   * forceShutdown alone does not end them: it only destroys the connections it tracks for
   * channelz, which is off here, so open streams would outlive the server.
   */
  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const call of [...this.#calls]) {
          call.sendStatus({
            code: grpc.status.UNAVAILABLE,
            details: `${this.name} is shutting down`,
            metadata: new grpc.Metadata(),
          });
        }
        this.#calls.clear();
        this.#server.forceShutdown();
        resolve();
      }, 1000);
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
