/**
 * A client on the Node SDK's `fabric-common` (2.2), as applications built on the Fabric Node SDK
 * talk to a peer: it builds, signs and sends proposals itself, over its own gRPC stack and its own
 * copy of Fabric's protos. Nothing of this repository is involved on the client side.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The part of fabric-common (CommonJS, no types) these tests use. */
interface SdkProposalResponse {
  readonly response: { status: number; message: string; payload?: Uint8Array };
  readonly payload?: Uint8Array;
  readonly endorsement?: { endorser: Uint8Array; signature: Uint8Array };
}
interface SdkEndorsement {
  build(identity: unknown, request: Record<string, unknown>): void;
  sign(identity: unknown): void;
  getTransactionId(): string;
  send(request: Record<string, unknown>): Promise<{
    responses?: SdkProposalResponse[];
    errors?: (Error | string)[];
  }>;
  newCommit(): {
    build(identity: unknown): void;
    sign(identity: unknown): void;
    getSignedEnvelope(): { payload: Uint8Array; signature: Uint8Array };
  };
}
interface SdkEndorser {
  connect(endpoint: unknown): Promise<void>;
  disconnect(): void;
}
interface SdkClient {
  setTlsClientCertAndKey(cert: string, key: string): void;
  newIdentityContext(user: unknown): unknown;
  newEndorser(name: string, mspId: string): SdkEndorser;
  newEndpoint(options: Record<string, unknown>): unknown;
  getChannel(name: string): { newEndorsement(chaincode: string): SdkEndorsement };
  close?(): void;
}
interface FabricCommon {
  Client: { newClient(name: string): SdkClient };
  User: {
    createUser(name: string, password: string, mspId: string, cert: string, key: string): unknown;
  };
}
const fabric = require('fabric-common') as FabricCommon;

/** What a peer answered one proposal, as fabric-common reports it. */
export interface ClientResponse {
  readonly status: number;
  readonly message: string;
  readonly payload: Buffer;
  /** The endorsement (endorser identity and signature), absent when not endorsed. */
  readonly endorsement?: { endorser: Buffer; signature: Buffer };
  /** The marshaled ProposalResponsePayload the endorsement signs. */
  readonly responsePayload?: Buffer;
  /** Set when the peer answered with a gRPC error instead of a ProposalResponse. */
  readonly error?: string;
  /**
   * The transaction envelope the client would send to the orderer (built and signed by
   * fabric-common's Commit), when the proposal was endorsed.
   */
  readonly envelope?: { payload: Buffer; signature: Buffer };
}

export interface SdkIdentity {
  readonly mspId: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** Reads a cryptogen-layout MSP folder's signing material (signcerts + keystore). */
export function sdkIdentityFromMsp(mspDir: string, mspId: string): SdkIdentity {
  const one = (sub: string): string => {
    const files = readdirSync(join(mspDir, sub));
    if (files.length === 0) throw new Error(`${join(mspDir, sub)} is empty`);
    return readFileSync(join(mspDir, sub, files[0]!), 'utf8');
  };
  return { mspId, certPem: one('signcerts'), keyPem: one('keystore') };
}

export class FabricClient {
  readonly #client: SdkClient;
  readonly #endorser: SdkEndorser;
  readonly #identity: unknown;

  private constructor(client: SdkClient, endorser: SdkEndorser, identity: unknown) {
    this.#client = client;
    this.#endorser = endorser;
    this.#identity = identity;
  }

  /** Connects to the peer at `url` (grpc:// or grpcs://) as `who`. */
  static async connect(
    url: string,
    who: SdkIdentity,
    tls?: { readonly pem: string; readonly clientCert?: string; readonly clientKey?: string },
  ): Promise<FabricClient> {
    const client = fabric.Client.newClient('fabric-peer-tests');
    if (tls?.clientCert && tls.clientKey)
      client.setTlsClientCertAndKey(tls.clientCert, tls.clientKey);
    const user = fabric.User.createUser('client', '', who.mspId, who.certPem, who.keyPem);
    const identity = client.newIdentityContext(user);
    const endorser = client.newEndorser('peer0', who.mspId);
    const options: Record<string, unknown> = { url, requestTimeout: 60_000 };
    if (tls) options.pem = tls.pem;
    await endorser.connect(client.newEndpoint(options));
    return new FabricClient(client, endorser, identity);
  }

  /** Builds, signs and sends one proposal; returns the peer's answer. */
  async propose(
    channelId: string,
    chaincode: string,
    fcn: string,
    args: readonly string[],
    options: {
      transient?: Record<string, Buffer>;
      init?: boolean;
      timeoutMs?: number;
    } = {},
  ): Promise<ClientResponse & { txId: string }> {
    const channel = this.#client.getChannel(channelId);
    const endorsement = channel.newEndorsement(chaincode);
    const request: Record<string, unknown> = { fcn, args: [...args] };
    if (options.transient) request.transientMap = options.transient;
    if (options.init) request.init = true;
    endorsement.build(this.#identity, request);
    endorsement.sign(this.#identity);
    const txId: string = endorsement.getTransactionId();
    const result = await endorsement.send({
      targets: [this.#endorser],
      requestTimeout: options.timeoutMs ?? 60_000,
    });
    const response = result.responses?.[0];
    if (!response) {
      const err = result.errors?.[0];
      return {
        txId,
        status: 0,
        message: '',
        payload: Buffer.alloc(0),
        error: err instanceof Error ? err.message : String(err ?? 'no response'),
      };
    }
    let envelope: { payload: Buffer; signature: Buffer } | undefined;
    if (response.endorsement && response.response.status < 400) {
      const commit = endorsement.newCommit();
      commit.build(this.#identity);
      commit.sign(this.#identity);
      const signed = commit.getSignedEnvelope();
      envelope = { payload: Buffer.from(signed.payload), signature: Buffer.from(signed.signature) };
    }
    return {
      txId,
      ...(envelope ? { envelope } : {}),
      status: response.response.status,
      message: response.response.message,
      payload: Buffer.from(response.response.payload ?? []),
      ...(response.endorsement
        ? {
            endorsement: {
              endorser: Buffer.from(response.endorsement.endorser),
              signature: Buffer.from(response.endorsement.signature),
            },
          }
        : {}),
      ...(response.payload?.length ? { responsePayload: Buffer.from(response.payload) } : {}),
    };
  }

  close(): void {
    this.#endorser.disconnect();
    this.#client.close?.();
  }
}
