/** Internal failures of setup, validation and principal checks, before they become IdentityErrors. */
import type { IdentityErrorCode } from '@fabric-peer/api';

/** A failure carrying the IdentityError code it maps to and a machine-readable reason. */
export class Failure extends Error {
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `prefix: <err's message>`, keeping err's code and reason unless given. */
export function wrap(
  prefix: string,
  err: unknown,
  code?: IdentityErrorCode,
  reason?: string,
): Failure {
  const message = `${prefix}: ${errorMessage(err)}`;
  if (err instanceof Failure) {
    return new Failure(code ?? err.code, message, reason ?? err.reason, { cause: err });
  }
  return new Failure(code ?? 'UNTRUSTED_CHAIN', message, reason ?? 'error', { cause: err });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A Buffer view of protobuf bytes (empty when unset). */
export function bytes(u: Uint8Array | null | undefined): Buffer {
  return u === null || u === undefined
    ? Buffer.alloc(0)
    : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
