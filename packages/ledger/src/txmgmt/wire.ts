/**
 * A protobuf wire decoder with the semantics of Go's google.golang.org/protobuf `proto.Unmarshal`,
 * for the few messages the ledger decides on (read-write sets): validation is consensus, so a
 * read-write set must decode, or fail to decode, exactly as it does in a Fabric peer.
 *
 * What Go does and protobufjs does not: a proto3 string that is not valid UTF-8 is an error; a
 * known field with an unexpected wire type is kept as an unknown field (so it reads as absent)
 * instead of being misread; a field number outside 1..2^29-1, a truncated value, a varint longer
 * than ten bytes and an unbalanced group are errors; a singular message field that appears twice is
 * merged; a zero-length proto3 bytes field reads as absent (nil).
 *
 * It also has the small writer the ledger needs for messages that are not in @fabric-peer/protos
 * (Fabric's `txmgr.Updates` and `msgs.LedgerMetadata`).
 */

/** Thrown when bytes do not decode; the caller turns it into a Fabric outcome. */
export class WireError extends Error {}

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const MAX_FIELD_NUMBER = (1 << 29) - 1;

/** A cursor over protobuf bytes. */
export class WireReader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly end: number = buf.length,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint of at most ten bytes, as Go's protowire.ConsumeVarint. */
  varint(): bigint {
    let result = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError('unexpected end of data in a varint');
      const b = this.buf[this.pos++]!;
      if (i === 9 && b > 1) throw new WireError('varint overflows 64 bits');
      result |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) return result;
    }
    throw new WireError('varint overflows 64 bits');
  }

  /** A varint that must fit in a JavaScript number (lengths). */
  smallVarint(): number {
    const v = this.varint();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new WireError('length out of range');
    return Number(v);
  }

  /** The next field's number and wire type (Go: errors on numbers outside 1..2^29-1). */
  tag(): { num: number; wireType: number } {
    const t = this.varint();
    const num = t >> 3n;
    if (num < 1n || num > BigInt(MAX_FIELD_NUMBER)) throw new WireError('invalid field number');
    return { num: Number(num), wireType: Number(t & 7n) };
  }

  bytes(): Uint8Array {
    const len = this.smallVarint();
    if (len > this.end - this.pos) throw new WireError('unexpected end of data in a bytes field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /** Skips a field's value (an unknown field, or a known one with an unexpected wire type). */
  skip(num: number, wireType: number, depth = 0): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.bytes();
        return;
      case 5:
        this.advance(4);
        return;
      case 3: {
        if (depth > 10000) throw new WireError('exceeded maximum recursion depth');
        for (;;) {
          if (this.pos >= this.end) throw new WireError('unexpected end of data in a group');
          const t = this.tag();
          if (t.wireType === 4) {
            if (t.num !== num) throw new WireError('mismatched end group');
            return;
          }
          this.skip(t.num, t.wireType, depth + 1);
        }
      }
      default:
        // 4 (an end group with no start) and the reserved types 6 and 7.
        throw new WireError(`invalid wire type ${wireType}`);
    }
  }

  private advance(n: number): void {
    if (n > this.end - this.pos) throw new WireError('unexpected end of data');
    this.pos += n;
  }
}

/** Field kinds the decoder knows. */
export type FieldKind = 'string' | 'bytes' | 'uint64' | 'uint32' | 'bool' | 'enum' | 'message';

export interface FieldSpec {
  /** Property name in the decoded object. */
  readonly name: string;
  readonly kind: FieldKind;
  readonly repeated?: boolean;
  /** For message fields. */
  readonly message?: () => MessageSpec;
  /** Members of one oneof share a group name; setting one clears the others. */
  readonly oneof?: string;
}

export interface MessageSpec {
  readonly name: string;
  readonly fields: Readonly<Record<number, FieldSpec>>;
}

type Decoded = Record<string, unknown>;

/** Decodes `bytes` as `spec` with Go's semantics; throws WireError where Go's Unmarshal fails. */
export function decodeMessage(spec: MessageSpec, bytes: Uint8Array): Decoded {
  const out: Decoded = {};
  decodeInto(spec, new WireReader(bytes), out, 0);
  return out;
}

function decodeInto(spec: MessageSpec, r: WireReader, out: Decoded, depth: number): void {
  if (depth > 10000) throw new WireError('exceeded maximum recursion depth');
  while (!r.done) {
    const { num, wireType } = r.tag();
    if (wireType === 4) throw new WireError('unexpected end group');
    const field = spec.fields[num];
    if (field === undefined || wireType !== expectedWireType(field.kind)) {
      r.skip(num, wireType);
      continue;
    }
    const value = readValue(field, r, out, depth);
    if (field.repeated) {
      const list = (out[field.name] as unknown[] | undefined) ?? [];
      list.push(value);
      out[field.name] = list;
      continue;
    }
    if (field.oneof !== undefined) {
      for (const other of Object.values(spec.fields)) {
        if (other.oneof === field.oneof && other.name !== field.name) delete out[other.name];
      }
    }
    if (field.kind === 'bytes' && (value as Uint8Array).length === 0) {
      // Go's consumeBytesNoZero: a zero-length proto3 bytes field is nil.
      delete out[field.name];
      continue;
    }
    out[field.name] = value;
  }
}

function expectedWireType(kind: FieldKind): number {
  switch (kind) {
    case 'uint64':
    case 'uint32':
    case 'bool':
    case 'enum':
      return 0;
    default:
      return 2;
  }
}

function readValue(field: FieldSpec, r: WireReader, out: Decoded, depth: number): unknown {
  switch (field.kind) {
    case 'string': {
      const b = r.bytes();
      try {
        return utf8Strict.decode(b);
      } catch {
        throw new WireError(`string field ${field.name} contains invalid UTF-8`);
      }
    }
    case 'bytes':
      return r.bytes();
    case 'uint64':
      return r.varint();
    case 'uint32':
      return Number(r.varint() & 0xffffffffn);
    case 'enum':
      return Number(BigInt.asIntN(32, r.varint()));
    case 'bool':
      return r.varint() !== 0n;
    case 'message': {
      const b = r.bytes();
      const spec = field.message!();
      // A singular message field seen twice is merged into the first, as Go does.
      const target =
        !field.repeated && typeof out[field.name] === 'object' && out[field.name] !== null
          ? (out[field.name] as Decoded)
          : {};
      decodeInto(spec, new WireReader(b), target, depth + 1);
      return target;
    }
  }
}

/** A minimal protobuf writer (fields are written in the order they are given). */
export class WireWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }

  private varint(v: bigint | number): void {
    let x = BigInt(v);
    const out: number[] = [];
    while (x >= 0x80n) {
      out.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    out.push(Number(x));
    this.push(Uint8Array.from(out));
  }

  /** A length-delimited field (bytes, string, message); written even when empty. */
  bytesField(num: number, value: Uint8Array): this {
    this.varint((num << 3) | 2);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  /** A proto3 bytes/string field: omitted when empty, as Go's Marshal does. */
  bytesFieldNoZero(num: number, value: Uint8Array | undefined): this {
    if (value !== undefined && value.length > 0) this.bytesField(num, value);
    return this;
  }

  stringFieldNoZero(num: number, value: string | undefined): this {
    if (value !== undefined && value !== '') this.bytesField(num, Buffer.from(value, 'utf8'));
    return this;
  }

  /** A proto3 varint field (uint64, enum, bool): omitted when zero. */
  varintFieldNoZero(num: number, value: bigint | number | boolean): this {
    const v = typeof value === 'boolean' ? (value ? 1n : 0n) : BigInt(value);
    if (v !== 0n) {
      this.varint((num << 3) | 0);
      this.varint(v);
    }
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** Go's proto.EncodeVarint. */
export function encodeVarint(v: number | bigint): Uint8Array {
  let x = BigInt(v);
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return Uint8Array.from(out);
}
