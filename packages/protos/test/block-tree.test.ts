// decodeBlockDeep / encodeBlockDeep on hand-made input: malformed parts, edits, config updates,
// proposals.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  common,
  decodeBlockDeep,
  decodeTree,
  encodeBlockDeep,
  encodeTree,
  kvrwset,
  msp,
  nodeAt,
  orderer,
  protos,
  rwset,
  walkTree,
  type BlockTreeNode,
} from '../src/index.js';
import { corpusDir } from '../test-support/paths.js';

const enc = <T extends object>(codec: { encode(m: T): { finish(): Uint8Array } }, m: T): Buffer =>
  Buffer.from(codec.encode(m).finish());

function envelope(type: number, data: Uint8Array, txId = 'tx'): Buffer {
  return enc(common.Envelope, {
    payload: enc(common.Payload, {
      header: {
        channelHeader: enc(common.ChannelHeader, { type, channelId: 'ch', txId }),
        signatureHeader: enc(common.SignatureHeader, {
          creator: enc(msp.SerializedIdentity, { mspid: 'Org1MSP', idBytes: Buffer.from('cert') }),
          nonce: Buffer.from('nonce'),
        }),
      },
      data,
    }),
    signature: Buffer.from('sig'),
  });
}

/** Every node re-encodes to its own bytes. */
function assertEveryLevel(tree: BlockTreeNode): number {
  let n = 0;
  walkTree(tree, (node, path) => {
    n++;
    assert.deepEqual(encodeTree(node), node.bytes, `${path.join('.')} (${node.type})`);
  });
  return n;
}

void test('a malformed transaction is marked, its neighbours decode, the block re-encodes', () => {
  const good = readFileSync(join(corpusDir(), 'block-4.pb'));
  const block = common.Block.decode(good);
  const garbage = Buffer.from([0x0a, 0x7f, 0x01, 0x02]); // field 1 claims 127 bytes, has 2
  const badData = envelope(common.HeaderType.ENDORSER_TRANSACTION, Buffer.from([0x0a, 0x05, 0xff]));
  const unknownType = envelope(common.HeaderType.MESSAGE, Buffer.from('opaque'));
  block.data?.data?.push(garbage, badData, unknownType);
  const bytes = enc(common.Block, block);

  const tree = decodeBlockDeep(bytes);
  assert.equal(tree.error, undefined);
  // The real transaction is decoded all the way down.
  const kv = nodeAt<kvrwset.KVRWSet>(
    tree, 'data', 'data', 0, 'payload', 'data', 'actions', 0, 'payload', 'action',
    'proposalResponsePayload', 'extension', 'results', 'nsRwset', 1, 'rwset',
  );
  assert.equal(kv?.message?.writes[0]?.key, 'asset001');
  // The garbage envelope is kept raw with a reason.
  const bad = nodeAt(tree, 'data', 'data', 1);
  assert.equal(bad?.type, 'common.Envelope');
  assert.equal(bad?.message, undefined);
  assert.match(bad?.error ?? '', /range|length|index/i);
  assert.deepEqual(bad?.bytes, garbage);
  // An envelope whose transaction bytes are broken: decoded down to the payload, the rest marked.
  const tx = nodeAt(tree, 'data', 'data', 2, 'payload', 'data');
  assert.equal(tx?.type, 'protos.Transaction');
  assert.ok(tx?.error);
  assert.equal(nodeAt<common.ChannelHeader>(tree, 'data', 'data', 2, 'payload', 'header', 'channelHeader')?.message?.txId, 'tx');
  // A payload type with no known content stays bytes, without error.
  assert.ok(nodeAt(tree, 'data', 'data', 3, 'payload'));
  assert.equal(nodeAt(tree, 'data', 'data', 3, 'payload', 'data'), undefined);
  // Every level, raw ones included, gives back the original bytes.
  assert.deepEqual(encodeBlockDeep(tree), bytes);
  assert.ok(assertEveryLevel(tree) > 20);
});

void test('bytes that are not a block at all give an error node, not an exception', () => {
  const junk = Buffer.from([0xff, 0xff, 0xff]);
  const tree = decodeBlockDeep(junk);
  assert.equal(tree.type, 'common.Block');
  assert.ok(tree.error);
  assert.deepEqual(encodeBlockDeep(tree), junk);
  assert.deepEqual(decodeBlockDeep(new Uint8Array(0)).children, {});
});

void test('an edit deep inside is re-encoded at every level above it', () => {
  const original = readFileSync(join(corpusDir(), 'block-4.pb'));
  const tree = decodeBlockDeep(original);
  const path = [
    'data', 'data', 0, 'payload', 'data', 'actions', 0, 'payload', 'action',
    'proposalResponsePayload', 'extension', 'results', 'nsRwset', 1, 'rwset',
  ] as const;
  const kv = nodeAt<kvrwset.KVRWSet>(tree, ...path);
  const write = kv?.message?.writes[0];
  assert.ok(write);
  write.value = Buffer.from('tampered');
  const edited = encodeBlockDeep(tree);
  assert.notDeepEqual(edited, original);
  const again = decodeBlockDeep(edited);
  assert.equal(Buffer.from(nodeAt<kvrwset.KVRWSet>(again, ...path)?.message?.writes[0]?.value ?? []).toString(), 'tampered');
  // Everything not above the edit is untouched: signature, headers, metadata.
  const sig = (t: BlockTreeNode): unknown => (nodeAt<common.Envelope>(t, 'data', 'data', 0)?.message)?.signature;
  assert.deepEqual(sig(again), sig(tree));
  assert.deepEqual(nodeAt(again, 'metadata')?.bytes, nodeAt(tree, 'metadata')?.bytes);
  assert.deepEqual((again.message as common.Block).header?.dataHash, (tree.message as common.Block).header?.dataHash);
});

void test('a config update inside a config envelope, and ConfigValues decoded by key', () => {
  const writeSet = {
    version: 1,
    groups: {
      Orderer: {
        values: {
          BatchSize: { version: 2, value: enc(orderer.BatchSize, { maxMessageCount: 10 }), modPolicy: 'Admins' },
          NotAFabricKey: { value: Buffer.from('left alone') },
        },
        policies: {
          Admins: {
            policy: {
              type: common.Policy.PolicyType.SIGNATURE,
              value: enc(common.SignaturePolicyEnvelope, {
                rule: { nOutOf: { n: 1, rules: [{ signedBy: 0 }] } },
                identities: [
                  {
                    principalClassification: common.MSPPrincipal.Classification.ROLE,
                    principal: enc(common.MSPRole, { mspIdentifier: 'OrdererMSP', role: common.MSPRole.MSPRoleType.ADMIN }),
                  },
                ],
              }),
            },
          },
        },
      },
    },
  };
  const update = enc(common.ConfigUpdateEnvelope, {
    configUpdate: enc(common.ConfigUpdate, { channelId: 'ch', writeSet }),
    signatures: [{ signatureHeader: enc(common.SignatureHeader, { nonce: Buffer.from('n') }), signature: Buffer.from('s') }],
  });
  const lastUpdate = common.Envelope.decode(envelope(common.HeaderType.CONFIG_UPDATE, update));
  const configEnvelope = enc(common.ConfigEnvelope, { config: { sequence: 3, channelGroup: writeSet }, lastUpdate });
  const bytes = envelope(common.HeaderType.CONFIG, configEnvelope);

  const tree = decodeTree('common.Envelope', bytes);
  const cfg = nodeAt(tree, 'payload', 'data');
  assert.equal(cfg?.type, 'common.ConfigEnvelope');
  const batch = nodeAt<orderer.BatchSize>(cfg, 'config', 'channelGroup', 'groups', 'Orderer', 'values', 'BatchSize', 'value');
  assert.equal(batch?.message?.maxMessageCount, 10);
  const other = nodeAt(cfg, 'config', 'channelGroup', 'groups', 'Orderer', 'values', 'NotAFabricKey');
  assert.ok(other && !other.error);
  assert.equal(nodeAt(other, 'value'), undefined, 'an unknown key stays bytes');
  const role = nodeAt<common.MSPRole>(
    cfg, 'config', 'channelGroup', 'groups', 'Orderer', 'policies', 'Admins', 'policy', 'value', 'identities', 0, 'principal',
  );
  assert.equal(role?.message?.role, common.MSPRole.MSPRoleType.ADMIN);
  // last_update → payload → ConfigUpdateEnvelope → ConfigUpdate → the same tree again.
  const upd = nodeAt(cfg, 'lastUpdate', 'payload', 'data');
  assert.equal(upd?.type, 'common.ConfigUpdateEnvelope');
  assert.equal(nodeAt(upd, 'signatures', 0, 'signatureHeader')?.type, 'common.SignatureHeader');
  const upBatch = nodeAt<orderer.BatchSize>(upd, 'configUpdate', 'writeSet', 'groups', 'Orderer', 'values', 'BatchSize', 'value');
  assert.equal(upBatch?.message?.maxMessageCount, 10);
  assert.deepEqual(encodeTree(tree), bytes);
  assert.ok(assertEveryLevel(tree) > 25);
});

void test('a signed proposal and its response decode down to the invocation and the rwset', () => {
  const header = {
    channelHeader: enc(common.ChannelHeader, {
      type: common.HeaderType.ENDORSER_TRANSACTION,
      txId: 'abc',
      extension: enc(protos.ChaincodeHeaderExtension, { chaincodeId: { name: 'basic' } }),
    }),
    signatureHeader: enc(common.SignatureHeader, { creator: Buffer.from([0x0a, 1, 0x41]), nonce: Buffer.from('n') }),
  };
  const proposal = enc(protos.Proposal, {
    header: enc(common.Header, header),
    payload: enc(protos.ChaincodeProposalPayload, {
      input: enc(protos.ChaincodeInvocationSpec, {
        chaincodeSpec: { chaincodeId: { name: 'basic' }, input: { args: [Buffer.from('ReadAsset'), Buffer.from('a1')] } },
      }),
      TransientMap: { secret: Buffer.from('kept raw') },
    }),
  });
  const signed = enc(protos.SignedProposal, { proposalBytes: proposal, signature: Buffer.from('sig') });
  const tree = decodeTree('protos.SignedProposal', signed);
  const spec = nodeAt<protos.ChaincodeInvocationSpec>(tree, 'proposalBytes', 'payload', 'input');
  assert.equal(spec?.message?.chaincodeSpec?.chaincodeId?.name, 'basic');
  assert.equal(nodeAt<{ mspid: string }>(tree, 'proposalBytes', 'header', 'signatureHeader', 'creator')?.message?.mspid, 'A');
  assert.equal(nodeAt(tree, 'proposalBytes', 'header', 'channelHeader', 'extension')?.type, 'protos.ChaincodeHeaderExtension');
  assert.deepEqual(encodeTree(tree), signed);

  const response = enc(protos.ProposalResponse, {
    response: { status: 200 },
    payload: enc(protos.ProposalResponsePayload, {
      proposalHash: Buffer.alloc(32, 1),
      extension: enc(protos.ChaincodeAction, {
        results: enc(rwset.TxReadWriteSet, {
          nsRwset: [
            {
              namespace: 'basic',
              rwset: enc(kvrwset.KVRWSet, { reads: [{ key: 'a1', version: { blockNum: 4, txNum: 0 } }] }),
            },
          ],
        }),
        events: enc(protos.ChaincodeEvent, { chaincodeId: 'basic', eventName: 'Read' }),
      }),
    }),
  });
  const rt = decodeTree('protos.ProposalResponse', response);
  assert.equal(nodeAt(rt, 'payload', 'extension')?.type, 'protos.ChaincodeAction');
  const read = nodeAt<kvrwset.KVRWSet>(rt, 'payload', 'extension', 'results', 'nsRwset', 0, 'rwset')?.message?.reads[0];
  assert.equal(read?.key, 'a1');
  assert.equal(String(read?.version?.blockNum), '4');
  assert.equal(nodeAt<protos.ChaincodeEvent>(rt, 'payload', 'extension', 'events')?.message?.eventName, 'Read');
  assert.deepEqual(encodeTree(rt), response);
  assertEveryLevel(rt);
});
