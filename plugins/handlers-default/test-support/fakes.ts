/**
 * Stand-ins for what the peer hands the handlers, beyond the generic ones of @fabric-peer/testkit:
 * the creators' certificates (valid, expired, not yet valid), the processor at the end of an
 * auth-filter chain, and a signing identity backed by a real ECDSA P-256 key.
 */
import assert from 'node:assert/strict';
import {
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import type { CallContext, ProposalProcessor, Signer } from '@fabric-peer/api';
import type { protos } from '@fabric-peer/protos';
import { issue, makeCa, type TestCert } from '@fabric-peer/testkit';
import { serializedIdentity } from './proposals.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The three creator certificates the suites use, relative to `now`, issued by one Org1 CA. */
export interface TestCerts {
  readonly valid: TestCert;
  readonly expired: TestCert;
  readonly notYetValid: TestCert;
}

/**
 * ECDSA P-256 signing certificates, subject `CN=<kind>, O=Org1, C=US`: one valid now, one that
 * expired yesterday, one not valid until tomorrow.
 */
export async function makeCerts(now = Date.now()): Promise<TestCerts> {
  const ca = await makeCa('ca.org1.example.com');
  const cert = (cn: string, from: number, to: number) =>
    issue(ca, cn, {
      subject: `CN=${cn}, O=Org1, C=US`,
      notBefore: new Date(from),
      notAfter: new Date(to),
    });
  const [valid, expired, notYetValid] = await Promise.all([
    cert('valid', now - DAY_MS, now + 365 * DAY_MS),
    cert('expired', now - 30 * DAY_MS, now - DAY_MS),
    cert('not-yet-valid', now + DAY_MS, now + 30 * DAY_MS),
  ]);
  return { valid, expired, notYetValid };
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
export class TestSigningIdentity implements Signer {
  readonly #serialized: Uint8Array;
  readonly signed: Uint8Array[] = [];

  constructor(
    readonly mspId: string,
    private readonly cert: TestCert,
  ) {
    this.#serialized = serializedIdentity(mspId, cert.certPem);
  }

  serialize(): Uint8Array {
    return this.#serialized;
  }

  verify(message: Uint8Array, signature: Uint8Array): Promise<void> {
    const ok = nodeVerify(
      'sha256',
      message,
      { key: createPublicKey(this.cert.certPem), dsaEncoding: 'der' },
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
