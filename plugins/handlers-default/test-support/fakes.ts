/**
 * Stand-ins for what the peer hands the handlers: a configuration, the processor at the end of an
 * auth-filter chain, a logger factory, and a signing identity backed by a real ECDSA P-256 key.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import type {
  CallContext,
  Logger,
  LoggerFactory,
  PeerConfig,
  ProposalProcessor,
  SigningIdentity,
} from '@fabric-peer/api';
import type { protos } from '@fabric-peer/protos';
import type { TestCert } from './certs.js';
import { serializedIdentity } from './proposals.js';

/**
 * A PeerConfig over a flat key → value map. As the real one, it throws on a key it does not know,
 * so a handler reading an unexpected key fails the test. `durations` gives `durationMs` answers.
 */
export function fakeConfig(
  values: Record<string, unknown>,
  durations: Record<string, number | null> = {},
  dir = process.cwd(),
): PeerConfig {
  return {
    file: join(dir, 'core.yaml'),
    dir,
    get(key: string): unknown {
      if (!(key in values)) throw new Error(`fake config: unknown key ${key}`);
      return values[key];
    },
    durationMs(key: string): number | null {
      if (!(key in durations)) throw new Error(`fake config: no duration ${key}`);
      return durations[key] ?? null;
    },
  };
}

/** A processor that records what reached it and answers 200 (the endorser, for a filter). */
export class RecordingEndorser implements ProposalProcessor {
  readonly calls: { signed: protos.ISignedProposal; context: CallContext }[] = [];

  constructor(
    readonly response: protos.IProposalResponse = {
      response: { status: 200, message: 'endorsed' },
    },
  ) {}

  processProposal(
    signed: protos.ISignedProposal,
    context: CallContext,
  ): Promise<protos.IProposalResponse> {
    this.calls.push({ signed, context });
    return Promise.resolve(this.response);
  }
}

/** A logger factory that drops everything. */
export const silentLoggers: LoggerFactory = () => {
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    child: () => logger,
  };
  return logger;
};

// Order of the P-256 group: a signature (r, s) is low-S when s <= N / 2.
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function derInteger(v: bigint): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.of(0), bytes]);
  return Buffer.concat([Buffer.of(0x02, bytes.length), bytes]);
}

/**
 * Signs as Fabric's BCCSP does: SHA-256 digest, ECDSA, low-S, DER-encoded. node:crypto signs with
 * a random S; the signature is normalized to the low half of the group.
 */
export function fabricSign(message: Uint8Array, key: KeyObject): Uint8Array {
  const raw = nodeSign('sha256', message, { key, dsaEncoding: 'ieee-p1363' });
  const r = BigInt(`0x${raw.subarray(0, 32).toString('hex')}`);
  let s = BigInt(`0x${raw.subarray(32).toString('hex')}`);
  if (s > P256_N / 2n) s = P256_N - s;
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return new Uint8Array(Buffer.concat([Buffer.of(0x30, body.length), body]));
}

/** A signing identity over a test certificate and its private key. */
export class TestSigningIdentity implements SigningIdentity {
  readonly #serialized: Uint8Array;
  readonly signed: Uint8Array[] = [];

  constructor(
    readonly mspId: string,
    private readonly cert: TestCert,
  ) {
    this.#serialized = serializedIdentity(mspId, cert.pem);
  }

  serialize(): Uint8Array {
    return this.#serialized;
  }

  verify(message: Uint8Array, signature: Uint8Array): Promise<void> {
    const ok = nodeVerify(
      'sha256',
      message,
      { key: createPublicKey(this.cert.pem), dsaEncoding: 'der' },
      signature,
    );
    return ok ? Promise.resolve() : Promise.reject(new Error('signature does not verify'));
  }

  sign(message: Uint8Array): Promise<Uint8Array> {
    this.signed.push(message);
    return Promise.resolve(fabricSign(message, this.cert.privateKey));
  }
}

/** Asserts equal bytes whatever the views (protobufjs hands out Buffers, handlers Uint8Arrays). */
export function assertSameBytes(
  actual: Uint8Array | null | undefined,
  expected: Uint8Array,
  what = 'bytes',
): void {
  assert.ok(actual, `${what}: missing`);
  assert.equal(Buffer.from(actual).toString('hex'), Buffer.from(expected).toString('hex'), what);
}
