/**
 * The byte-level fast path of verification must accept exactly the signatures the detailed path
 * accepts, and convert them to the same P1363 bytes; anything else falls back to the detailed path.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  curveByNodeName,
  isLowS,
  lowSP1363,
  parseEcdsaSignature,
  toP1363,
} from '../src/x509/ecdsa.js';

function slow(
  curve: NonNullable<ReturnType<typeof curveByNodeName>>,
  der: Uint8Array,
): Uint8Array | undefined {
  try {
    const sig = parseEcdsaSignature(der);
    if (!isLowS(curve, sig.s)) return undefined;
    return toP1363(curve, sig);
  } catch {
    return undefined;
  }
}

function derInt(bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.of(0x02, bytes.length), bytes]);
}

function derSig(r: Uint8Array, s: Uint8Array, trailer = Buffer.alloc(0)): Buffer {
  const body = Buffer.concat([derInt(r), derInt(s), trailer]);
  return Buffer.concat([Buffer.of(0x30, body.length), body]);
}

describe('lowSP1363 agrees with the detailed path', () => {
  for (const [nodeName, size] of [
    ['prime256v1', 32],
    ['secp384r1', 48],
  ] as const) {
    const curve = curveByNodeName(nodeName)!;
    it(`on real and mangled ${nodeName} signatures`, () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: nodeName });
      const cases: Uint8Array[] = [];
      for (let i = 0; i < 300; i++)
        cases.push(sign('sha256', randomBytes(32), { key: privateKey, dsaEncoding: 'der' }));
      const half = curve.halfOrderBytes;
      const justAbove = Buffer.from(half);
      justAbove[size - 1] = justAbove[size - 1]! + 1;
      const r = Buffer.concat([Buffer.of(0x01), randomBytes(size - 1)]);
      cases.push(
        derSig(r, half), // s = n/2: low
        derSig(r, justAbove), // s = n/2 + 1: high
        derSig(Buffer.of(0), half), // r = 0
        derSig(r, Buffer.of(0)), // s = 0
        derSig(Buffer.of(0x80, 1), half), // negative r
        derSig(Buffer.of(0, 1), half), // r not minimal
        derSig(Buffer.concat([Buffer.of(0), Buffer.alloc(size, 0xff)]), half), // r longer than the curve
        derSig(r, half, Buffer.of(0x05, 0x00)), // an extra element inside the sequence (Go ignores it)
        Buffer.concat([derSig(r, half), Buffer.of(1, 2, 3)]), // bytes after the sequence (Go ignores them)
        Buffer.of(0x30, 0x02, 0x02, 0x00),
        Buffer.alloc(0),
      );
      let fast = 0;
      for (const c of cases) {
        const a = lowSP1363(curve, c);
        const b = slow(curve, c);
        assert.deepEqual(
          a === undefined ? undefined : Buffer.from(a),
          b === undefined ? undefined : Buffer.from(b),
          Buffer.from(c).toString('hex'),
        );
        if (a !== undefined) fast++;
      }
      // Node signs with random s, so about half the real signatures are high-S and fall back.
      assert.ok(fast > 100 && fast < 220, `${fast} took the fast path`);
    });
  }
});
