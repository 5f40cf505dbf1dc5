/**
 * The gateway's errors. Each carries the gRPC status code Fabric's gateway answers with and, where
 * Fabric attaches them, the `gateway.ErrorDetail`s of the peers or orderers that failed. They are
 * turned into gRPC statuses (with the details in `grpc-status-details-bin`) only at the service
 * edge, so that the fabric-gateway client sees them as it sees Fabric's.
 */
import { FabricPeerError } from '@fabric-peer/api';
import { status } from '@grpc/grpc-js';

/** What one endorsing peer or orderer answered (Fabric's `gateway.ErrorDetail`). */
export interface EndpointErrorDetail {
  /** The node's address (`host:port`), or '' when not known. */
  readonly address: string;
  readonly mspId: string;
  readonly message: string;
}

/** The gRPC status names the gateway uses, as `code` of its errors. */
export type GatewayErrorCode =
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'UNAVAILABLE'
  | 'ABORTED'
  | 'UNKNOWN'
  | 'DEADLINE_EXCEEDED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'CANCELLED';

const CODES: Readonly<Record<GatewayErrorCode, status>> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  UNAVAILABLE: status.UNAVAILABLE,
  ABORTED: status.ABORTED,
  UNKNOWN: status.UNKNOWN,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  NOT_FOUND: status.NOT_FOUND,
  CANCELLED: status.CANCELLED,
};

/** A gateway request failed; `grpcCode` and `errorDetails` are what the client receives. */
export class GatewayError extends FabricPeerError {
  declare readonly code: GatewayErrorCode;
  /** The numeric gRPC status. */
  readonly grpcCode: status;
  /** Per-endpoint failures, in the order they happened. */
  readonly errorDetails: readonly EndpointErrorDetail[];

  constructor(
    code: GatewayErrorCode,
    message: string,
    options: { cause?: unknown; errorDetails?: readonly EndpointErrorDetail[] } = {},
  ) {
    const errorDetails = options.errorDetails ?? [];
    super(code, message, {
      ...(options.cause !== undefined ? { cause: options.cause } : {}),
      details: { errorDetails },
    });
    this.grpcCode = CODES[code];
    this.errorDetails = errorDetails;
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
