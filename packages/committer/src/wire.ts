/**
 * The messages of a transaction envelope, decoded with the semantics of Go's `proto.Unmarshal`
 * (google.golang.org/protobuf, which Fabric v2.5 uses), because validation is consensus: a crafted
 * transaction must decode, or fail to decode, exactly as it does in a Fabric peer.
 *
 * Where that differs from protobufjs: a proto3 `string` that is not valid UTF-8 is an error; a known
 * field with another wire type is kept as an unknown field (it reads as absent) instead of being
 * misread; a field number outside 1..2^29-1, a truncated value, a varint longer than ten bytes, wire
 * types 6 and 7 and unbalanced groups are errors; a singular message field seen twice is merged; a
 * zero-length proto3 `bytes` field reads as absent (Go's nil).
 *
 * Only the fields validation reads are kept; absent bytes are `undefined` (Go's nil), absent
 * messages `undefined` (Go's nil pointer), present but empty messages are objects.
 */

/** Bytes that do not decode as the message asked for. */
export class DecodeError extends Error {
  constructor(what: string, why: string) {
    super(`proto: cannot parse invalid wire-format data in ${what}: ${why}`);
    this.name = 'DecodeError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const MAX_FIELD = (1 << 29) - 1;
const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const START_GROUP = 3;
const END_GROUP = 4;
const FIXED32 = 5;

/** A field as the reader found it. */
interface Field {
  readonly num: number;
  readonly wireType: number;
  /** Start of the whole field (its tag). */
  readonly start: number;
  /** For varints: the low 32 bits as a signed int (Go's int32 conversion). */
  readonly lo: number;
  /** For varints: where the value starts (to read it in full with `bigAt`). */
  readonly valueAt: number;
  /** For length-delimited fields: the payload range. */
  readonly from: number;
  readonly to: number;
}

class Reader {
  pos: number;
  /** The last varint read: as a float (exact below 2^53) and its low 32 bits. */
  private vNum = 0;
  private vLo = 0;

  constructor(
    readonly buf: Uint8Array,
    readonly what: string,
  ) {
    this.pos = 0;
  }

  get end(): number {
    return this.buf.length;
  }

  fail(why: string): never {
    throw new DecodeError(this.what, why);
  }

  private varint(): void {
    let num = 0;
    let lo = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) this.fail('unexpected end of varint');
      const b = this.buf[this.pos++]!;
      if (i === 9 && b > 1) this.fail('varint overflows 64 bits');
      const bits = b & 0x7f;
      num += bits * scale;
      scale *= 128;
      if (i < 5) lo |= bits << (7 * i);
      if (b < 0x80) {
        this.vNum = num;
        this.vLo = lo | 0;
        return;
      }
    }
    this.fail('varint overflows 64 bits');
  }

  /** The full 64-bit value of the varint starting at `at` (already checked). */
  bigAt(at: number): bigint {
    let v = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.buf[at + i]!;
      v |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) break;
    }
    return v;
  }

  /** The next field, its value consumed. */
  next(): Field {
    const start = this.pos;
    this.varint();
    const tag = this.vNum;
    const num = Math.floor(tag / 8);
    if (num < 1 || num > MAX_FIELD) this.fail('invalid field number');
    const wireType = tag % 8;
    switch (wireType) {
      case VARINT: {
        const valueAt = this.pos;
        this.varint();
        return { num, wireType, start, lo: this.vLo, valueAt, from: 0, to: 0 };
      }
      case FIXED64:
        this.skip(8);
        return { num, wireType, start, lo: 0, valueAt: 0, from: this.pos - 8, to: this.pos };
      case FIXED32:
        this.skip(4);
        return { num, wireType, start, lo: 0, valueAt: 0, from: this.pos - 4, to: this.pos };
      case BYTES: {
        this.varint();
        const len = this.vNum;
        if (len > this.buf.length - this.pos) this.fail('length out of range');
        const from = this.pos;
        this.pos += len;
        return { num, wireType, start, lo: 0, valueAt: 0, from, to: this.pos };
      }
      case START_GROUP:
        this.skipGroup(num);
        return { num, wireType, start, lo: 0, valueAt: 0, from: 0, to: 0 };
      case END_GROUP:
        return this.fail('unexpected end group');
      default:
        return this.fail(`invalid wire type ${wireType}`);
    }
  }

  private skip(n: number): void {
    if (this.buf.length - this.pos < n) this.fail('unexpected end of data');
    this.pos += n;
  }

  private skipGroup(num: number): void {
    for (;;) {
      if (this.pos >= this.buf.length) this.fail('unbalanced group');
      const start = this.pos;
      this.varint();
      const tag = this.vNum;
      if (tag % 8 === END_GROUP) {
        if (Math.floor(tag / 8) !== num) this.fail('mismatched end group');
        return;
      }
      this.pos = start;
      this.next();
    }
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }
}

function bytesOf(r: Reader, f: Field): Uint8Array | undefined {
  // Go keeps a zero-length proto3 bytes field as nil.
  return f.to === f.from ? undefined : r.buf.subarray(f.from, f.to);
}

function stringOf(r: Reader, f: Field): string {
  try {
    return utf8.decode(r.buf.subarray(f.from, f.to));
  } catch {
    return r.fail(`field ${f.num} contains invalid UTF-8`);
  }
}

/** Iterates the fields of `bytes`; `visit` handles the known ones (wire type checked by it). */
function decode(
  what: string,
  bytes: Uint8Array | undefined,
  visit: (r: Reader, f: Field) => void,
): void {
  if (bytes === undefined) return;
  const r = new Reader(bytes, what);
  while (!r.done) visit(r, r.next());
}

// ---- common ---------------------------------------------------------------------------------

export interface Envelope {
  payload?: Uint8Array;
  signature?: Uint8Array;
  /** The raw unknown fields, in order (Go's proto.Marshal writes them back after the known ones). */
  unknown: Uint8Array[];
}

export function decodeEnvelope(bytes: Uint8Array): Envelope {
  const env: Envelope = { unknown: [] };
  decode('common.Envelope', bytes, (r, f) => {
    if (f.num === 1 && f.wireType === BYTES) env.payload = bytesOf(r, f);
    else if (f.num === 2 && f.wireType === BYTES) env.signature = bytesOf(r, f);
    else env.unknown.push(r.buf.subarray(f.start, r.pos));
  });
  return env;
}

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

/** The length of what Go's `proto.Marshal` writes for `env` (see {@link isMarshaledForm}). */
export function marshaledLength(env: Envelope): number {
  let n = 0;
  for (const f of [env.payload, env.signature]) {
    if (f !== undefined) n += 1 + varintLength(f.length) + f.length;
  }
  for (const u of env.unknown) n += u.length;
  return n;
}

/**
 * Whether `raw` is exactly what Go's `proto.Marshal` writes for `env`, decoded from it: payload
 * (tag 0x0a, minimal length), signature (0x12), each only when non-empty, then the unknown fields
 * as they came. `env`'s fields are views into `raw`, so comparing where each lies compares the
 * bytes without writing them out.
 */
export function isMarshaledForm(env: Envelope, raw: Uint8Array): boolean {
  if (marshaledLength(env) !== raw.length) return false;
  let pos = 0;
  const at = (view: Uint8Array): boolean =>
    view.buffer === raw.buffer && view.byteOffset === raw.byteOffset + pos;
  for (const [tag, f] of [
    [0x0a, env.payload],
    [0x12, env.signature],
  ] as const) {
    if (f === undefined) continue;
    if (raw[pos] !== tag) return false;
    pos++;
    let n = f.length;
    // The length must be the minimal varint.
    for (;;) {
      const b = n >= 0x80 ? (n % 128) | 0x80 : n;
      if (raw[pos++] !== b) return false;
      if (n < 0x80) break;
      n = Math.floor(n / 128);
    }
    if (!at(f)) return false;
    pos += f.length;
  }
  for (const u of env.unknown) {
    if (!at(u)) return false;
    pos += u.length;
  }
  return pos === raw.length;
}

export interface Header {
  channelHeader?: Uint8Array;
  signatureHeader?: Uint8Array;
}

function headerInto(h: Header, bytes: Uint8Array): void {
  decode('common.Header', bytes, (r, f) => {
    if (f.wireType !== BYTES) return;
    if (f.num === 1) h.channelHeader = bytesOf(r, f);
    else if (f.num === 2) h.signatureHeader = bytesOf(r, f);
  });
}

export interface Payload {
  header?: Header;
  data?: Uint8Array;
}

export function decodePayload(bytes: Uint8Array | undefined): Payload {
  const p: Payload = {};
  decode('common.Payload', bytes, (r, f) => {
    if (f.wireType !== BYTES) return;
    if (f.num === 1) {
      // A message field seen twice is merged.
      p.header ??= {};
      headerInto(p.header, r.buf.subarray(f.from, f.to));
    } else if (f.num === 2) p.data = bytesOf(r, f);
  });
  return p;
}

export interface ChannelHeader {
  type: number;
  version: number;
  channelId: string;
  txId: string;
  epoch: bigint;
  extension?: Uint8Array;
  tlsCertHash?: Uint8Array;
}

function checkTimestamp(bytes: Uint8Array): void {
  decode('google.protobuf.Timestamp', bytes, () => undefined);
}

export function decodeChannelHeader(bytes: Uint8Array | undefined): ChannelHeader {
  const h: ChannelHeader = { type: 0, version: 0, channelId: '', txId: '', epoch: 0n };
  decode('common.ChannelHeader', bytes, (r, f) => {
    switch (f.num) {
      case 1:
        if (f.wireType === VARINT) h.type = f.lo;
        return;
      case 2:
        if (f.wireType === VARINT) h.version = f.lo;
        return;
      case 3:
        if (f.wireType === BYTES) checkTimestamp(r.buf.subarray(f.from, f.to));
        return;
      case 4:
        if (f.wireType === BYTES) h.channelId = stringOf(r, f);
        return;
      case 5:
        if (f.wireType === BYTES) h.txId = stringOf(r, f);
        return;
      case 6:
        if (f.wireType === VARINT) h.epoch = r.bigAt(f.valueAt);
        return;
      case 7:
        if (f.wireType === BYTES) h.extension = bytesOf(r, f);
        return;
      case 8:
        if (f.wireType === BYTES) h.tlsCertHash = bytesOf(r, f);
        return;
      default:
        return;
    }
  });
  return h;
}

export interface SignatureHeader {
  creator?: Uint8Array;
  nonce?: Uint8Array;
}

export function decodeSignatureHeader(bytes: Uint8Array | undefined): SignatureHeader {
  const h: SignatureHeader = {};
  decode('common.SignatureHeader', bytes, (r, f) => {
    if (f.wireType !== BYTES) return;
    if (f.num === 1) h.creator = bytesOf(r, f);
    else if (f.num === 2) h.nonce = bytesOf(r, f);
  });
  return h;
}

// ---- peer -----------------------------------------------------------------------------------

export interface TransactionAction {
  header?: Uint8Array;
  payload?: Uint8Array;
}

export interface Transaction {
  actions: TransactionAction[];
}

export function decodeTransaction(bytes: Uint8Array | undefined): Transaction {
  const tx: Transaction = { actions: [] };
  decode('protos.Transaction', bytes, (r, f) => {
    if (f.num !== 1 || f.wireType !== BYTES) return;
    const action: TransactionAction = {};
    decode('protos.TransactionAction', r.buf.subarray(f.from, f.to), (ar, af) => {
      if (af.wireType !== BYTES) return;
      if (af.num === 1) action.header = bytesOf(ar, af);
      else if (af.num === 2) action.payload = bytesOf(ar, af);
    });
    tx.actions.push(action);
  });
  return tx;
}

export interface Endorsement {
  endorser?: Uint8Array;
  signature?: Uint8Array;
}

export interface ChaincodeEndorsedAction {
  proposalResponsePayload?: Uint8Array;
  endorsements: Endorsement[];
}

export interface ChaincodeActionPayload {
  chaincodeProposalPayload?: Uint8Array;
  action?: ChaincodeEndorsedAction;
}

function endorsedActionInto(a: ChaincodeEndorsedAction, bytes: Uint8Array): void {
  decode('protos.ChaincodeEndorsedAction', bytes, (r, f) => {
    if (f.wireType !== BYTES) return;
    if (f.num === 1) a.proposalResponsePayload = bytesOf(r, f);
    else if (f.num === 2) {
      const e: Endorsement = {};
      decode('protos.Endorsement', r.buf.subarray(f.from, f.to), (er, ef) => {
        if (ef.wireType !== BYTES) return;
        if (ef.num === 1) e.endorser = bytesOf(er, ef);
        else if (ef.num === 2) e.signature = bytesOf(er, ef);
      });
      a.endorsements.push(e);
    }
  });
}

export function decodeChaincodeActionPayload(
  bytes: Uint8Array | undefined,
): ChaincodeActionPayload {
  const p: ChaincodeActionPayload = {};
  decode('protos.ChaincodeActionPayload', bytes, (r, f) => {
    if (f.wireType !== BYTES) return;
    if (f.num === 1) p.chaincodeProposalPayload = bytesOf(r, f);
    else if (f.num === 2) {
      p.action ??= { endorsements: [] };
      endorsedActionInto(p.action, r.buf.subarray(f.from, f.to));
    }
  });
  return p;
}

export interface ProposalResponsePayload {
  proposalHash?: Uint8Array;
  extension?: Uint8Array;
}

export function decodeProposalResponsePayload(
  bytes: Uint8Array | undefined,
): ProposalResponsePayload {
  const p: ProposalResponsePayload = {};
  decode('protos.ProposalResponsePayload', bytes, (r, f) => {
    if (f.wireType !== BYTES) return;
    if (f.num === 1) p.proposalHash = bytesOf(r, f);
    else if (f.num === 2) p.extension = bytesOf(r, f);
  });
  return p;
}

export interface ChaincodeId {
  path: string;
  name: string;
  version: string;
}

function chaincodeIdInto(id: ChaincodeId, bytes: Uint8Array): void {
  decode('protos.ChaincodeID', bytes, (r, f) => {
    if (f.wireType !== BYTES) return;
    if (f.num === 1) id.path = stringOf(r, f);
    else if (f.num === 2) id.name = stringOf(r, f);
    else if (f.num === 3) id.version = stringOf(r, f);
  });
}

function checkResponse(bytes: Uint8Array): void {
  decode('protos.Response', bytes, (r, f) => {
    if (f.num === 2 && f.wireType === BYTES) stringOf(r, f);
  });
}

export interface ChaincodeAction {
  results?: Uint8Array;
  events?: Uint8Array;
  chaincodeId?: ChaincodeId;
}

export function decodeChaincodeAction(bytes: Uint8Array | undefined): ChaincodeAction {
  const a: ChaincodeAction = {};
  decode('protos.ChaincodeAction', bytes, (r, f) => {
    if (f.wireType !== BYTES) return;
    if (f.num === 1) a.results = bytesOf(r, f);
    else if (f.num === 2) a.events = bytesOf(r, f);
    else if (f.num === 3) checkResponse(r.buf.subarray(f.from, f.to));
    else if (f.num === 4) {
      a.chaincodeId ??= { path: '', name: '', version: '' };
      chaincodeIdInto(a.chaincodeId, r.buf.subarray(f.from, f.to));
    }
  });
  return a;
}

export interface ChaincodeHeaderExtension {
  chaincodeId?: ChaincodeId;
}

export function decodeChaincodeHeaderExtension(
  bytes: Uint8Array | undefined,
): ChaincodeHeaderExtension {
  const h: ChaincodeHeaderExtension = {};
  decode('protos.ChaincodeHeaderExtension', bytes, (r, f) => {
    if (f.num === 2 && f.wireType === BYTES) {
      h.chaincodeId ??= { path: '', name: '', version: '' };
      chaincodeIdInto(h.chaincodeId, r.buf.subarray(f.from, f.to));
    }
  });
  return h;
}

export interface ChaincodeEvent {
  chaincodeId: string;
}

export function decodeChaincodeEvent(bytes: Uint8Array | undefined): ChaincodeEvent {
  const e: ChaincodeEvent = { chaincodeId: '' };
  decode('protos.ChaincodeEvent', bytes, (r, f) => {
    if (f.wireType !== BYTES) return;
    if (f.num === 1) e.chaincodeId = stringOf(r, f);
    else if (f.num === 2 || f.num === 3) stringOf(r, f);
  });
  return e;
}
