import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { common, Long, type protos as pb } from '@fabric-peer/protos';
import { fakeConfig } from '@fabric-peer/testkit';
import { ProposalRejected, TimeWindowCheck } from '../src/index.js';
import { RecordingEndorser } from '../test-support/fakes.js';
import {
  GARBAGE,
  headerBytes,
  proposalBytes,
  serializedIdentity,
  signatureHeaderBytes,
  signedProposal,
  signedProposalFrom,
} from '../test-support/proposals.js';

const KEY = 'peer.authentication.timewindow';
const MINUTE = 60_000;
/** The peer's clock in these tests: 2025-06-01T12:00:00.250Z. */
const NOW = Date.UTC(2025, 5, 1, 12, 0, 0, 250);
const creator = serializedIdentity('Org1MSP', 'any creator: this filter does not read it');

/** A TimeWindowCheck over a fake config holding `window` (its text and its milliseconds). */
function filter(window: { text: string | null; ms: number | null } = { text: '15m', ms: 900_000 }) {
  const config = fakeConfig({ [KEY]: window.text }, { durations: { [KEY]: window.ms } });
  const check = new TimeWindowCheck(config, () => new Date(NOW));
  const next = new RecordingEndorser();
  check.init(next);
  return { check, next };
}

function at(ms: number | null) {
  return signedProposal({ creator, timestampMs: ms });
}

/** A proposal whose channel header carries exactly these timestamp fields. */
function withTimestamp(seconds: number | Long, nanos = 0) {
  const channelHeader = common.ChannelHeader.encode({
    type: common.HeaderType.ENDORSER_TRANSACTION,
    channelId: 'mychannel',
    timestamp: { seconds, nanos },
  }).finish();
  return signedProposalFrom(
    proposalBytes(headerBytes(channelHeader, signatureHeaderBytes(creator))),
  );
}

async function refusedWith(
  check: TimeWindowCheck,
  signed: pb.ISignedProposal,
  message: string,
): Promise<void> {
  await assert.rejects(check.processProposal(signed, {}), (e: unknown) => {
    assert.ok(e instanceof ProposalRejected, `expected ProposalRejected, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

describe('TimeWindowCheck', () => {
  it('passes proposals stamped inside the window, either side of the peer clock', async () => {
    const { check, next } = filter();
    for (const ts of [
      NOW,
      NOW - 14 * MINUTE,
      NOW + 14 * MINUTE,
      NOW - 15 * MINUTE,
      NOW + 15 * MINUTE,
    ]) {
      const signed = at(ts);
      const res = await check.processProposal(signed, {});
      assert.equal(res, next.response);
      assert.equal(next.calls.at(-1)?.signed, signed);
    }
    assert.equal(next.calls.length, 5);
  });

  it('refuses a proposal 16 minutes in the past with Fabric’s message, without calling next', async () => {
    const { check, next } = filter();
    await refusedWith(
      check,
      at(NOW - 16 * MINUTE),
      'request unauthorized due to incorrect timestamp 2025-06-01T11:44:00Z, ' +
        'peer time 2025-06-01T12:00:00Z, peer.authentication.timewindow 15m0s',
    );
    assert.equal(next.calls.length, 0);
  });

  it('refuses a proposal 16 minutes in the future', async () => {
    const { check, next } = filter();
    await refusedWith(
      check,
      at(NOW + 16 * MINUTE),
      'request unauthorized due to incorrect timestamp 2025-06-01T12:16:00Z, ' +
        'peer time 2025-06-01T12:00:00Z, peer.authentication.timewindow 15m0s',
    );
    assert.equal(next.calls.length, 0);
  });

  it('compares to the nanosecond: one past the window is refused', async () => {
    const { check, next } = filter();
    const edgeS = Math.floor((NOW - 15 * MINUTE) / 1000);
    const edgeNanos = ((NOW - 15 * MINUTE) % 1000) * 1_000_000;
    await check.processProposal(withTimestamp(edgeS, edgeNanos), {});
    assert.equal(next.calls.length, 1);
    await refusedWith(
      check,
      withTimestamp(edgeS, edgeNanos - 1),
      'request unauthorized due to incorrect timestamp 2025-06-01T11:45:00Z, ' +
        'peer time 2025-06-01T12:00:00Z, peer.authentication.timewindow 15m0s',
    );
  });

  it('falls back to 15m when the window is empty (null) or zero, as Fabric', async () => {
    for (const window of [
      { text: null, ms: null },
      { text: '0', ms: 0 },
    ]) {
      const { check, next } = filter(window);
      await check.processProposal(at(NOW - 14 * MINUTE), {});
      assert.equal(next.calls.length, 1);
      await refusedWith(
        check,
        at(NOW - 16 * MINUTE),
        'request unauthorized due to incorrect timestamp 2025-06-01T11:44:00Z, ' +
          'peer time 2025-06-01T12:00:00Z, peer.authentication.timewindow 15m0s',
      );
    }
  });

  it('uses the configured window and names it as Go prints durations', async () => {
    const { check, next } = filter({ text: '90m', ms: 90 * MINUTE });
    await check.processProposal(at(NOW - 89 * MINUTE), {});
    assert.equal(next.calls.length, 1);
    await refusedWith(
      check,
      at(NOW + 91 * MINUTE),
      'request unauthorized due to incorrect timestamp 2025-06-01T13:31:00Z, ' +
        'peer time 2025-06-01T12:00:00Z, peer.authentication.timewindow 1h30m0s',
    );
  });

  it('reads a missing timestamp as the Unix epoch, as Go does', async () => {
    await refusedWith(
      filter().check,
      at(null),
      'request unauthorized due to incorrect timestamp 1970-01-01T00:00:00Z, ' +
        'peer time 2025-06-01T12:00:00Z, peer.authentication.timewindow 15m0s',
    );
  });

  it('answers timestamps beyond what a JavaScript Date holds with Fabric’s message', async () => {
    const { check } = filter();
    await refusedWith(
      check,
      withTimestamp(253_402_300_800), // 10000-01-01
      'request unauthorized due to incorrect timestamp 10000-01-01T00:00:00Z, ' +
        'peer time 2025-06-01T12:00:00Z, peer.authentication.timewindow 15m0s',
    );
    await refusedWith(
      check,
      withTimestamp(-62_135_596_800 - 86_400), // the day before 0001-01-01
      'request unauthorized due to incorrect timestamp 0000-12-31T00:00:00Z, ' +
        'peer time 2025-06-01T12:00:00Z, peer.authentication.timewindow 15m0s',
    );
    await assert.rejects(
      check.processProposal(withTimestamp(Long.MAX_VALUE), {}),
      ProposalRejected,
    );
    await assert.rejects(
      check.processProposal(withTimestamp(Long.MIN_VALUE), {}),
      ProposalRejected,
    );
  });

  it('refuses what does not parse, naming the layer', async () => {
    const { check, next } = filter();
    await assert.rejects(check.processProposal(signedProposalFrom(GARBAGE), {}), {
      name: 'ProposalRejected',
      message: /^failed parsing proposal: .+/,
    });
    await assert.rejects(check.processProposal(signedProposalFrom(proposalBytes(GARBAGE)), {}), {
      message: /^failed parsing header: .+/,
    });
    const badChannelHeader = proposalBytes(headerBytes(GARBAGE, signatureHeaderBytes(creator)));
    await assert.rejects(check.processProposal(signedProposalFrom(badChannelHeader), {}), {
      message: /^failed parsing channel header: .+/,
    });
    assert.equal(next.calls.length, 0);
  });

  it('fails clearly when used before init', async () => {
    const config = fakeConfig({ [KEY]: '15m' }, { durations: { [KEY]: 900_000 } });
    await assert.rejects(new TimeWindowCheck(config).processProposal(at(Date.now()), {}), {
      message: 'TimeWindowCheck used before init',
    });
  });
});
