/**
 * The chaincode runtime extension point (`vm.providers`, an ordered list): the first provider that
 * accepts a package builds and runs it, as Fabric's container router does with its builders.
 * Built-ins: `inprocess` (no Docker), `docker` (dockerode), `remote` (chaincode as a service).
 */

/** An installed chaincode package (Fabric 2.x: metadata.json + code.tar.gz). */
export interface ChaincodePackage {
  /** `label:sha256` for `_lifecycle` packages, `name:version` for legacy ones. */
  readonly packageId: string;
  readonly label: string;
  /** metadata.json `type`: node, golang, java, ccaas, ... */
  readonly type: string;
  /** metadata.json `path`. */
  readonly path: string;
  /** The whole metadata.json. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The code.tar.gz bytes. */
  readonly codeArchive: Uint8Array;
}

/** Where and how a launched chaincode reaches the peer's ChaincodeSupport service. */
export interface PeerConnection {
  /** `host:port` of peer.chaincodeAddress. */
  readonly address: string;
  /** PEM material when the chaincode listener uses TLS. */
  readonly tls?: {
    readonly clientCert: string;
    readonly clientKey: string;
    readonly rootCert: string;
  };
  /**
   * For a runtime that starts the chaincode beside the peer and can give it a private channel (a
   * pipe) instead of a network connection: the peer runs the chaincode's handler over `pipe`, as
   * over a ChaincodeSupport stream. The channel is this chaincode's alone, so whatever registers on
   * it may register only as the chaincode being launched. A chaincode that dials `address` instead
   * is served there as usual.
   */
  readonly serveMessagePipe?: (pipe: ChaincodeMessagePipe) => void;
}

/**
 * An ordered, reliable channel of whole ChaincodeMessages, each encoded as protobuf bytes, between
 * the peer and one chaincode (see {@link PeerConnection.serveMessagePipe}).
 */
export interface ChaincodeMessagePipe {
  /** Sends one encoded ChaincodeMessage; throws when the pipe is closed. */
  send(message: Uint8Array): void;
  /** Starts delivering received messages (once); `end` is called once, when the pipe closes. */
  start(sink: { message(message: Uint8Array): void; end(err?: Error): void }): void;
  /** Closes the pipe from the peer's side. */
  close(err?: Error): void;
}

/** For a chaincode that runs as a server: where the peer dials it (connection.json). */
export interface ChaincodeServerInfo {
  readonly address: string;
  readonly dialTimeoutMs: number;
  readonly tls?: {
    readonly clientAuthRequired: boolean;
    readonly clientCert?: string;
    readonly clientKey?: string;
    readonly rootCert: string;
  };
}

/**
 * A `chaincode.logging.level` / `.shim` value as chaincode shims read it from
 * CORE_CHAINCODE_LOGGING_LEVEL / _SHIM. Fabric's core.yaml accepts `warn` for `warning`, but the
 * Node and Java shims know only `warning` and take any word they do not know for info. Other
 * values pass unchanged, as Fabric passes them.
 */
export function chaincodeLogLevel(level: string): string {
  return level.trim().toLowerCase() === 'warn' ? 'warning' : level;
}

/** One built chaincode, ready to run. */
export interface ChaincodeInstance {
  /** Starts the chaincode, which then connects to `peer`. Not called for a chaincode server. */
  start(peer: PeerConnection): Promise<void>;
  /** Set when the chaincode is a server the peer dials instead of starting it. */
  chaincodeServerInfo(): Promise<ChaincodeServerInfo | undefined>;
  stop(): Promise<void>;
  /** Resolves with the exit code when the chaincode ends. */
  wait(): Promise<number>;
}

/** A chaincode runtime. */
export interface VmProvider {
  /** The name `vm.providers` lists it by. */
  readonly name: string;
  /** True when this provider can run the package (by its type and metadata). */
  accepts(pkg: ChaincodePackage): Promise<boolean>;
  /** Builds (or finds the build of) the package; `chaincodeId` is the id it registers with. */
  build(chaincodeId: string, pkg: ChaincodePackage): Promise<ChaincodeInstance>;
}
/** Identifier of {@link VmProvider} contributions. */
export const VmProvider: unique symbol = Symbol.for('@fabric-peer/api/VmProvider');
