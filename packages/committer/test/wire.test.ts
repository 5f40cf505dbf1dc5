/**
 * The envelope decoders follow Go's proto.Unmarshal, not protobufjs, where the two differ: these are
 * the cases a crafted transaction could use to make peers disagree.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { common, protos } from '@fabric-peer/protos';

import {
  DecodeError,
  decodeChaincodeActionPayload,
  decodeChannelHeader,
  decodeEnvelope,
  decodePayload,
  decodeSignatureHeader,
  isMarshaledForm,
  marshaledLength,
} from '../src/wire.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('Go-semantics decoding of envelopes', () => {
  it('decodes what protobufjs encodes', () => {
    const chdr = common.ChannelHeader.encode({
      type: 3,
      version: 1,
      channelId: 'mychannel',
      txId: 'abc',
      epoch: 0,
      extension: bytes(1, 2),
      timestamp: { seconds: 5, nanos: 6 },
    }).finish();
    const h = decodeChannelHeader(chdr);
    assert.deepEqual(
      { type: h.type, version: h.version, channelId: h.channelId, txId: h.txId, epoch: h.epoch },
      { type: 3, version: 1, channelId: 'mychannel', txId: 'abc', epoch: 0n },
    );
    assert.deepEqual([...h.extension!], [1, 2]);
  });

  it('refuses a string that is not UTF-8', () => {
    // channel_id (4) = 0xff
    assert.throws(() => decodeChannelHeader(bytes(0x22, 1, 0xff)), DecodeError);
  });

  it('reads a known field with another wire type as absent (protobufjs misreads it)', () => {
    // tx_id (5) sent as a varint: Go keeps it as an unknown field.
    const chdr = bytes(0x28, 0x07, 0x22, 2, 0x61, 0x62);
    const h = decodeChannelHeader(chdr);
    assert.equal(h.txId, '');
    assert.equal(h.channelId, 'ab');
  });

  it('reads a zero-length bytes field as absent (Go nil)', () => {
    const sh = decodeSignatureHeader(bytes(0x0a, 0, 0x12, 1, 9));
    assert.equal(sh.creator, undefined);
    assert.deepEqual([...sh.nonce!], [9]);
  });

  it('merges a message field that appears twice', () => {
    const h1 = common.Header.encode({ channelHeader: bytes(1) }).finish();
    const h2 = common.Header.encode({ signatureHeader: bytes(2) }).finish();
    const payload = new Uint8Array([0x0a, h1.length, ...h1, 0x0a, h2.length, ...h2]);
    const p = decodePayload(payload);
    assert.deepEqual([...p.header!.channelHeader!], [1]);
    assert.deepEqual([...p.header!.signatureHeader!], [2]);
  });

  it('tells an empty message from an absent one', () => {
    assert.deepEqual(decodePayload(bytes(0x0a, 0)).header, {});
    assert.equal(decodePayload(bytes()).header, undefined);
    assert.equal(decodeChaincodeActionPayload(bytes()).action, undefined);
    assert.deepEqual(decodeChaincodeActionPayload(bytes(0x12, 0)).action, { endorsements: [] });
  });

  it('skips groups and accepts non-minimal varints, as Go does', () => {
    // field 9 start group { field 1 varint 1 } end group, then payload (1) with a padded tag.
    const env = decodeEnvelope(bytes(0x4b, 0x08, 0x01, 0x4c, 0x8a, 0x00, 1, 7));
    assert.deepEqual([...env.payload!], [7]);
  });

  it('refuses malformed wire data', () => {
    for (const bad of [
      bytes(0x00, 0x01), // field number 0
      bytes(0x0a, 5, 1), // truncated length-delimited
      bytes(0x0e), // wire type 6
      bytes(0x4b, 0x08, 0x01), // unterminated group
      bytes(0x4c), // end group without a start
      bytes(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02), // varint > 64 bits
    ]) {
      assert.throws(() => decodeEnvelope(bad), DecodeError, `bytes ${[...bad].join(',')}`);
    }
  });

  it("tells whether an envelope is in the form Go's proto.Marshal gives it", () => {
    const form = (b: Uint8Array) => isMarshaledForm(decodeEnvelope(b), b);
    const canonical = common.Envelope.encode({ payload: bytes(1), signature: bytes(2) }).finish();
    assert.equal(form(canonical), true);
    assert.equal(marshaledLength(decodeEnvelope(canonical)), canonical.length);
    // Out of order: same length, not Go's form.
    assert.equal(form(bytes(0x12, 1, 2, 0x0a, 1, 1)), false);
    // The payload twice: Go keeps the last and writes fewer bytes.
    const twice = bytes(0x0a, 1, 9, 0x0a, 1, 1, 0x12, 1, 2);
    assert.equal(marshaledLength(decodeEnvelope(twice)), canonical.length);
    assert.equal(form(twice), false);
    // A length written with a padded varint.
    const padded = bytes(0x0a, 0x81, 0x00, 1, 0x12, 1, 2);
    assert.equal(marshaledLength(decodeEnvelope(padded)), padded.length - 1);
    assert.equal(form(padded), false);
    // Unknown fields are kept, after the known ones.
    assert.equal(form(bytes(0x0a, 1, 1, 0x12, 1, 2, 0x18, 5)), true);
    assert.equal(form(bytes(0x18, 5, 0x0a, 1, 1, 0x12, 1, 2)), false);
    // Long fields (multi-byte lengths).
    const long = common.Envelope.encode({
      payload: new Uint8Array(300).fill(7),
      signature: new Uint8Array(70000).fill(8),
    }).finish();
    assert.equal(form(long), true);
  });

  it('keeps repeated endorsements in order', () => {
    const cap = protos.ChaincodeActionPayload.encode({
      chaincodeProposalPayload: bytes(1),
      action: {
        proposalResponsePayload: bytes(2),
        endorsements: [
          { endorser: bytes(3), signature: bytes(4) },
          { endorser: bytes(5), signature: bytes(6) },
        ],
      },
    }).finish();
    const d = decodeChaincodeActionPayload(cap);
    assert.deepEqual(
      d.action!.endorsements.map((e) => [e.endorser![0], e.signature![0]]),
      [
        [3, 4],
        [5, 6],
      ],
    );
  });
});
