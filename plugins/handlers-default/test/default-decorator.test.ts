import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { protos } from '@fabric-peer/protos';
import { DefaultDecorator } from '../src/index.js';
import {
  headerBytes,
  channelHeaderBytes,
  proposalBytes,
  serializedIdentity,
  signatureHeaderBytes,
} from '../test-support/proposals.js';

describe('DefaultDecorator', () => {
  it('returns the very input it was given, untouched', () => {
    const creator = serializedIdentity('Org1MSP', 'creator');
    const proposal = protos.Proposal.decode(
      proposalBytes(headerBytes(channelHeaderBytes(Date.now()), signatureHeaderBytes(creator))),
    );
    const input = protos.ChaincodeInput.decode(
      protos.ChaincodeInput.encode({
        args: [Buffer.from('transfer'), Buffer.from('a'), Buffer.from('b')],
        decorations: { existing: Buffer.from('kept') },
        isInit: false,
      }).finish(),
    );
    const before = protos.ChaincodeInput.encode(input).finish();

    const out = new DefaultDecorator().decorate(proposal, input);

    assert.equal(out, input);
    assert.deepEqual(protos.ChaincodeInput.encode(out).finish(), before);
  });
});
