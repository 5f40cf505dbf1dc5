/**
 * A Bloom filter of the txids a channel's index holds, so that "does this txid exist?" (asked for
 * every proposal and for every transaction of a block being validated) is answered from memory when
 * the answer is no, which is almost always. A yes may be false (about 1 in 100) and is confirmed by
 * the index; a no is never wrong, because every txid is added before its block counts as stored.
 *
 * The number of txids is not known in advance and only grows, so the filter is a stack of layers
 * (a scalable Bloom filter): each new layer holds twice the entries of the one before, and a query
 * looks at all of them.
 */

/** Bits per entry and probes per layer for ≈ 1 % false positives. */
const BITS_PER_ENTRY = 10;
const PROBES = 7;
const FIRST_LAYER_ENTRIES = 1 << 16;

class Layer {
  readonly bits: Uint32Array;
  readonly size: number;
  count = 0;

  constructor(readonly capacity: number) {
    this.size = capacity * BITS_PER_ENTRY;
    this.bits = new Uint32Array(Math.ceil(this.size / 32));
  }

  add(h1: number, h2: number): void {
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0;
      const at = bit % this.size;
      this.bits[at >>> 5]! |= 1 << (at & 31);
    }
    this.count++;
  }

  has(h1: number, h2: number): boolean {
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0;
      const at = bit % this.size;
      if ((this.bits[at >>> 5]! & (1 << (at & 31))) === 0) return false;
    }
    return true;
  }
}

export class TxIdFilter {
  readonly #layers: Layer[] = [new Layer(FIRST_LAYER_ENTRIES)];

  /** Adds the bytes of a txid (as the index spells it). */
  add(txId: Uint8Array): void {
    let top = this.#layers[this.#layers.length - 1]!;
    if (top.count >= top.capacity) {
      top = new Layer(top.capacity * 2);
      this.#layers.push(top);
    }
    const [h1, h2] = hashes(txId);
    top.add(h1, h2);
  }

  /** False when `txId` was never added; true when it was, or (rarely) by chance. */
  mightContain(txId: Uint8Array): boolean {
    const [h1, h2] = hashes(txId);
    return this.#layers.some((layer) => layer.has(h1, h2));
  }

  get entries(): number {
    return this.#layers.reduce((n, layer) => n + layer.count, 0);
  }
}

/** Two 32-bit FNV-1a style hashes of the bytes (different bases and primes), for double hashing. */
function hashes(bytes: Uint8Array): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x050c5d1f;
  for (const b of bytes) {
    h1 = Math.imul(h1 ^ b, 0x01000193);
    h2 = Math.imul(h2 ^ b, 0x5bd1e995);
  }
  h2 ^= h2 >>> 15;
  // An odd step visits distinct bits for every probe.
  return [h1 >>> 0, (h2 | 1) >>> 0];
}
