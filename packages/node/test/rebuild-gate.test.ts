// The gate `peer node reset` leaves in front of the endorser: proposals are refused with
// Fabric's message until every channel is back at its pre-reset height, then passed on, and the
// recorded heights are cleared once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProposalProcessor } from '@fabric-peer/api';
import { RebuildGate } from '../src/rebuild-gate.js';

describe('RebuildGate (after peer node reset)', () => {
  it('refuses proposals until every channel is back at its height, then passes them on', async () => {
    const heights = new Map<string, number | undefined>([
      ['a', 1],
      ['b', 5],
    ]);
    let passed = 0;
    const next: ProposalProcessor = {
      processProposal: () => {
        passed++;
        return Promise.resolve({ response: { status: 200 } });
      },
    };
    let cleared = 0;
    const gate = new RebuildGate(next, {
      heights: new Map([
        ['a', 3],
        ['b', 5],
      ]),
      heightOf: (id) => heights.get(id),
      onRebuilt: () => {
        cleared++;
        return Promise.resolve();
      },
    });
    const propose = () => gate.processProposal({}, {});
    const refused = (err: Error) =>
      err.message === 'endorse requests are blocked while ledgers are being rebuilt';

    await assert.rejects(propose(), refused);
    gate.check(); // b is back, a is not
    assert.equal(gate.blocked, true);
    await assert.rejects(propose(), refused);
    heights.set('a', undefined); // a channel without an open ledger keeps it blocked
    gate.check();
    assert.equal(gate.blocked, true);
    heights.set('a', 3);
    gate.check();
    assert.equal(gate.blocked, false);
    assert.deepEqual(await propose(), { response: { status: 200 } });
    assert.equal(passed, 1, 'nothing reached the endorser while blocked');
    gate.check();
    assert.equal(cleared, 1, 'the recorded heights are cleared once');
  });

  it('without heights to reach, passes everything on from the start', async () => {
    const gate = new RebuildGate(
      { processProposal: () => Promise.resolve({ response: { status: 200 } }) },
      { heights: new Map(), heightOf: () => 0, onRebuilt: () => Promise.resolve() },
    );
    gate.start();
    assert.equal(gate.blocked, false);
    assert.deepEqual(await gate.processProposal({}, {}), {
      response: { status: 200 },
    });
  });
});
