/**
 * The endorsing peers the gateway talks to: this peer's own endorser (called in process) and other
 * peers' Endorser services (dialled with grpc-js), behind one interface that answers with Fabric's
 * classification of the outcome (apiutils.go responseStatus).
 */
import * as grpc from '@grpc/grpc-js';
import type { ProposalProcessor } from '@fabric-peer/api';
import { EndorserService, type protos } from '@fabric-peer/protos';
import type { GatewayErrorCode } from './errors.js';
import { messageOf } from './errors.js';

/** Fabric's chaincode.ErrorStreamTerminated: the chaincode's stream ended (it probably crashed). */
const ERROR_STREAM_TERMINATED = 'chaincode stream terminated';

/** How one endorsement attempt ended. */
export type EndorseOutcome =
  | { readonly ok: true; readonly response: protos.ProposalResponse.$Properties }
  | {
      readonly ok: false;
      readonly code: GatewayErrorCode;
      readonly message: string;
      /** Worth trying another peer (Evaluate only). */
      readonly retry: boolean;
      /** The connection should be dropped. */
      readonly remove: boolean;
    };

/**
 * Fabric's responseStatus: an error without a response is a peer that could not be reached
 * (UNAVAILABLE, retry elsewhere, drop the connection); an error with a response is a refusal of the
 * proposal itself (FAILED_PRECONDITION); a 500 without payload was made by the peer, not the
 * chaincode (ABORTED, retry); any other status outside 200..399 is the chaincode's (UNKNOWN).
 */
export function classify(
  response: protos.ProposalResponse.$Properties | undefined,
  error: unknown,
): EndorseOutcome {
  if (error !== undefined) {
    if (response === undefined) {
      return {
        ok: false,
        code: 'UNAVAILABLE',
        message: messageOf(error),
        retry: true,
        remove: true,
      };
    }
    return {
      ok: false,
      code: 'FAILED_PRECONDITION',
      message: messageOf(error),
      retry: false,
      remove: false,
    };
  }
  const status = response?.response?.status ?? 0;
  const message = response?.response?.message ?? '';
  if (status < 200 || status >= 400) {
    const noPayload = (response?.payload?.length ?? 0) === 0;
    if (noPayload && status === 500) {
      const crashed = message.endsWith(ERROR_STREAM_TERMINATED);
      return { ok: false, code: 'ABORTED', message, retry: true, remove: crashed };
    }
    return {
      ok: false,
      code: 'UNKNOWN',
      message: `chaincode response ${status}, ${message}`,
      retry: false,
      remove: false,
    };
  }
  return { ok: true, response: response ?? {} };
}

/** An endorsing peer as the gateway sees it. */
export interface EndorserEndpoint {
  /** `host:port` ('' for this peer when its address was not configured). */
  readonly address: string;
  readonly mspId: string;
  /** True for this peer's own endorser. */
  readonly local: boolean;
  /**
   * Sends the proposal. Never rejects: every failure is an outcome. `timeoutMs` bounds this one
   * attempt; `signal` aborts it (the client went away).
   */
  process(
    signed: protos.SignedProposal.$Properties,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<EndorseOutcome>;
  /** Drops the connection (the next use dials again). */
  close(): void;
}

class TimeoutError extends Error {}

/** grpc-go's names of the status codes, as its errors print them. */
const GO_CODE_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

/** Resolves with `work`, or rejects when `ms` pass or `signal` aborts first. */
function bounded<T>(work: Promise<T>, ms: number, signal: AbortSignal, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new TimeoutError(`${what}: request cancelled`));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      reject(new TimeoutError(`${what}: timeout expired after ${ms}ms`));
    }, ms);
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/**
 * This peer's endorser, called in process. As Fabric's in-process adapter, a refusal the endorser
 * throws comes with a response (FAILED_PRECONDITION, no retry); unlike Fabric, which waits on the
 * local endorser for as long as the client does, an attempt is bounded by the endorsement timeout
 * like any other peer's.
 */
export class LocalEndorser implements EndorserEndpoint {
  readonly local = true;

  constructor(
    private readonly processor: ProposalProcessor,
    readonly mspId: string,
    readonly address: string,
  ) {}

  async process(
    signed: protos.SignedProposal.$Properties,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<EndorseOutcome> {
    const attempt = new AbortController();
    const onAbort = (): void => attempt.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      let work: Promise<protos.ProposalResponse.$Properties>;
      try {
        work = this.processor.processProposal(signed, { signal: attempt.signal });
      } catch (err) {
        work = Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      const response = await bounded(work, timeoutMs, signal, 'local endorser');
      return classify(response, undefined);
    } catch (err) {
      attempt.abort();
      if (err instanceof TimeoutError) return classify(undefined, err);
      const response = { response: { status: 500, message: messageOf(err) } };
      return classify(response, err);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  close(): void {
    // Nothing to drop: the local endorser is never removed (as in Fabric's registry).
  }
}

type EndorserClient = grpc.Client & {
  processProposal(
    request: protos.SignedProposal.$Properties,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, res?: protos.ProposalResponse) => void,
  ): grpc.ClientUnaryCall;
};

const EndorserClientCtor = grpc.makeGenericClientConstructor(
  EndorserService,
  'Endorser',
) as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => EndorserClient;

/** How to reach other peers. */
export interface DialOptions {
  readonly dialTimeoutMs: number;
  readonly clientTls?: { readonly certPem: string; readonly keyPem: string };
}

/**
 * Another peer's Endorser service. The connection is made on first use; connecting is bounded by
 * the dial timeout, and a peer that refuses the connection fails at once (as grpc-go's fail-fast
 * calls do), so the gateway moves on to another peer without waiting.
 */
export class RemoteEndorser implements EndorserEndpoint {
  readonly local = false;
  #client: EndorserClient | undefined;

  constructor(
    readonly address: string,
    readonly mspId: string,
    private readonly tlsRootCertPem: string | undefined,
    private readonly dial: DialOptions,
  ) {}

  private client(): EndorserClient {
    if (this.#client === undefined) {
      const tls = this.dial.clientTls;
      const credentials =
        this.tlsRootCertPem === undefined
          ? grpc.credentials.createInsecure()
          : grpc.credentials.createSsl(
              Buffer.from(this.tlsRootCertPem),
              tls === undefined ? null : Buffer.from(tls.keyPem),
              tls === undefined ? null : Buffer.from(tls.certPem),
            );
      this.#client = new EndorserClientCtor(this.address, credentials, {
        'grpc.max_receive_message_length': 100 * 1024 * 1024,
        'grpc.max_send_message_length': 100 * 1024 * 1024,
        // channelz bookkeeping costs time on every call and nothing here reads it.
        'grpc.enable_channelz': 0,
      });
    }
    return this.#client;
  }

  /** Waits until the channel is READY; throws when it fails to connect or `deadline` passes. */
  private async connect(client: EndorserClient, deadline: number): Promise<void> {
    const channel = client.getChannel();
    let state = channel.getConnectivityState(true);
    while (state !== grpc.connectivityState.READY) {
      if (
        state === grpc.connectivityState.TRANSIENT_FAILURE ||
        state === grpc.connectivityState.SHUTDOWN
      ) {
        throw new Error(`failed to create new connection: connection to ${this.address} failed`);
      }
      if (Date.now() >= deadline) {
        throw new Error(`failed to create new connection: timed out connecting to ${this.address}`);
      }
      const from = state;
      await new Promise<void>((resolve) =>
        channel.watchConnectivityState(from, deadline, () => resolve()),
      );
      state = channel.getConnectivityState(true);
    }
  }

  async process(
    signed: protos.SignedProposal.$Properties,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<EndorseOutcome> {
    const started = Date.now();
    const client = this.client();
    try {
      const connecting = this.connect(
        client,
        started + Math.min(this.dial.dialTimeoutMs, timeoutMs),
      );
      await bounded(connecting, timeoutMs, signal, `endorser ${this.address}`);
    } catch (err) {
      return classify(undefined, err);
    }
    const deadline = started + timeoutMs;
    const response = await new Promise<protos.ProposalResponse | Error>((resolve) => {
      const call = client.processProposal(signed, new grpc.Metadata(), { deadline }, (err, res) =>
        resolve(err !== null ? err : (res ?? new Error('no response'))),
      );
      const onAbort = (): void => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
      call.on('status', () => signal.removeEventListener('abort', onAbort));
    });
    if (response instanceof Error) {
      const serviceError = response as Partial<grpc.ServiceError>;
      const message =
        serviceError.code !== undefined
          ? `rpc error: code = ${GO_CODE_NAMES[serviceError.code] ?? serviceError.code} desc = ${serviceError.details ?? response.message}`
          : response.message;
      return classify(undefined, new Error(message));
    }
    return classify(response, undefined);
  }

  close(): void {
    this.#client?.close();
    this.#client = undefined;
  }
}
