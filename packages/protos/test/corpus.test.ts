// The 87 blocks of a real Fabric v2.4.9 channel (peer and orderer copies): decoded all the way
// down, re-encoded identically at every level, and checked against what Fabric recorded.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type {
  kvrwset,
  msp,
  orderer,
  protos,
  rwset,
  etcdraft} from '../src/index.js';
import {
  common,
  computeTxId,
  decodeBlockDeep,
  encodeBlockDeep,
  encodeTree,
  isScalar,
  messageDescriptor,
  nodeAt,
  propertyName,
  resolveTypeName,
  timestampToDate,
  walkTree,
  descriptorEntries,
  type BlockTreeNode,
} from '../src/index.js';
import { corpusDir } from '../test-support/paths.js';

interface RecordedRead {
  key: string;
  version: { block: number; tx: number } | null;
}
interface RecordedWrite {
  key: string;
  is_delete: boolean;
  value: string;
}
interface RecordedNs {
  namespace: string;
  reads: RecordedRead[];
  range_queries: unknown[];
  writes: RecordedWrite[];
  collection_hashed_rwsets: string[];
}
interface RecordedTx {
  index: number;
  txid: string;
  type: string;
  channel: string;
  timestamp: string;
  creator_mspid: string;
  chaincode?: string;
  function?: string;
  args?: string[];
  endorsers?: string[];
  response_status?: number;
  rwset?: RecordedNs[];
}
interface RecordedBlock {
  file: string;
  number: number;
  previous_hash: string;
  data_hash: string;
  tx_count: number;
  transactions_filter: number[];
  transactions: RecordedTx[];
}

const BLOCKS = 87;

/**
 * Bytes fields that hold no marshaled message (hashes, signatures, nonces, certificates, values),
 * by message type and .proto field name. Anything else left as bytes fails the test.
 */
const OPAQUE = new Set([
  'common.BlockHeader.previous_hash',
  'common.BlockHeader.data_hash',
  'common.BlockMetadata.metadata', // the TRANSACTIONS_FILTER slot only, checked below
  'common.Metadata.value', // the COMMIT_HASH slot only, checked below
  'common.MetadataSignature.signature',
  'common.Envelope.signature',
  'common.SignatureHeader.nonce',
  'msp.SerializedIdentity.id_bytes',
  'msp.FabricMSPConfig.root_certs',
  'msp.FabricMSPConfig.tls_root_certs',
  'msp.FabricOUIdentifier.certificate',
  'etcdraft.Consenter.client_tls_cert',
  'etcdraft.Consenter.server_tls_cert',
  'protos.ChaincodeInput.args',
  'protos.Response.payload',
  'protos.Endorsement.signature',
  'protos.ProposalResponsePayload.proposal_hash',
  'kvrwset.KVWrite.value',
  'kvrwset.KVReadHash.key_hash',
  'kvrwset.KVWriteHash.key_hash',
  'kvrwset.KVWriteHash.value_hash',
  'rwset.CollectionHashedReadWriteSet.pvt_rwset_hash',
]);

const recorded = (
  JSON.parse(readFileSync(join(corpusDir(), 'validation-codes.json'), 'utf8')) as {
    blocks: RecordedBlock[];
  }
).blocks;

function load(sub: string, n: number): Buffer {
  return readFileSync(join(corpusDir(), sub, `block-${n}.pb`));
}

/**
 * Every non-empty bytes field of the node's message (and of plain sub-messages that are not nodes
 * themselves) that was not decoded, as `type.field`; and every preserved unknown field.
 */
function undecoded(node: BlockTreeNode): string[] {
  const out: string[] = [];
  const visit = (type: string, message: Record<string, unknown>, children: BlockTreeNode['children'] | undefined): void => {
    if (Object.prototype.hasOwnProperty.call(message, '$unknowns')) out.push(`${type}: unknown fields`);
    for (const [name, field] of Object.entries(messageDescriptor(type).fields)) {
      const prop = propertyName(name, type);
      const value = message[prop];
      if (value == null || !Object.prototype.hasOwnProperty.call(message, prop)) continue;
      const child = children?.[prop];
      if (field.type === 'bytes' && !field.keyType) {
        const list = (field.rule === 'repeated' ? value : [value]) as Uint8Array[];
        list.forEach((v, i) => {
          const decoded = Array.isArray(child) ? (child as unknown[])[i] !== undefined : child !== undefined;
          if (v.length > 0 && !decoded) out.push(`${type}.${name}`);
        });
      } else if (!isScalar(field.type) && child === undefined) {
        const sub = resolveTypeName(type, field.type);
        if (descriptorEntries().get(sub)?.kind !== 'message') continue;
        const values = field.keyType
          ? Object.values(value as Record<string, unknown>)
          : field.rule === 'repeated'
            ? (value as unknown[])
            : [value];
        for (const v of values) visit(sub, v as Record<string, unknown>, undefined);
      }
    }
  };
  if (node.message) visit(node.type, node.message as Record<string, unknown>, node.children);
  return out;
}

function hex(b: Uint8Array | null | undefined): string {
  return Buffer.from(b ?? []).toString('hex');
}

for (const sub of ['', 'orderer-blocks']) {
  const label = sub === '' ? 'peer copies' : 'orderer copies';

  void describe(`corpus ${label}: every level decodes and re-encodes to the original bytes`, () => {
    void test(`all ${BLOCKS} blocks`, () => {
      let nodes = 0;
      let lastRaftIndex = 0;
      const opaqueSeen = new Set<string>();
      for (let n = 0; n < BLOCKS; n++) {
        const bytes = load(sub, n);
        const tree = decodeBlockDeep(bytes, { consensusType: 'etcdraft' });
        assert.deepEqual(encodeBlockDeep(tree), bytes, `block ${n}`);
        walkTree(tree, (node, path) => {
          nodes++;
          const where = `block ${n} ${path.join('.')} (${node.type})`;
          assert.equal(node.error, undefined, where);
          assert.equal(node.fieldErrors, undefined, where);
          // The bytes of every level are the original ones, not a re-encoding...
          assert.equal(node.bytes.buffer, bytes.buffer, `${where}: not a slice of the block`);
          // ...and the level re-encodes from its children to exactly those bytes.
          assert.deepEqual(encodeTree(node), node.bytes, where);
          for (const field of undecoded(node)) {
            assert.ok(OPAQUE.has(field), `${where}: ${field} left undecoded`);
            opaqueSeen.add(field);
          }
        });
        // Metadata: SIGNATURES decoded down to the signer and the raft metadata. configtxgen
        // does not sign the genesis block.
        const sig = nodeAt<common.Metadata>(tree, 'metadata', 'metadata', common.BlockMetadataIndex.SIGNATURES);
        assert.equal(sig?.type, 'common.Metadata');
        assert.equal(nodeAt(sig as BlockTreeNode, 'value')?.type, 'common.OrdererBlockMetadata');
        assert.equal(sig?.message?.signatures.length, n === 0 ? 0 : 1, `block ${n} signatures`);
        if (n > 0) {
          const signer = nodeAt<msp.SerializedIdentity>(sig, 'signatures', 0, 'signatureHeader', 'creator');
          assert.equal(signer?.message?.mspid, 'OrdererMSP');
          const raft = nodeAt<etcdraft.BlockMetadata>(sig, 'value', 'consenterMetadata', 'value');
          assert.equal(raft?.type, 'etcdraft.BlockMetadata');
          // One raft node, id 1; the raft index grows with every block.
          assert.deepEqual(raft?.message?.consenterIds.map(String), ['1']);
          assert.equal(String(raft?.message?.nextConsenterId), '2');
          const index = Number(raft?.message?.raftIndex);
          assert.ok(index > lastRaftIndex, `block ${n}: raft index ${index} after ${lastRaftIndex}`);
          lastRaftIndex = index;
        }
        // TRANSACTIONS_FILTER is bytes, not a message.
        assert.equal(nodeAt(tree, 'metadata', 'metadata', common.BlockMetadataIndex.TRANSACTIONS_FILTER), undefined);
      }
      assert.ok(nodes > 2500, `only ${nodes} nodes`);
      // The allow-list is no wider than what the corpus needs. The orderer's copies carry
      // neither the TRANSACTIONS_FILTER nor a COMMIT_HASH.
      assert.deepEqual(
        [...OPAQUE].filter((f) => !opaqueSeen.has(f)),
        sub === '' ? [] : ['common.BlockMetadata.metadata', 'common.Metadata.value'],
      );
    });
  });
}

void describe('corpus content matches what Fabric recorded', () => {
  void test('block headers, TRANSACTIONS_FILTER and COMMIT_HASH', () => {
    assert.equal(recorded.length, BLOCKS);
    for (const rec of recorded) {
      const peer = decodeBlockDeep(load('', rec.number));
      const fromOrderer = decodeBlockDeep(load('orderer-blocks', rec.number));
      const block = peer.message as common.Block;
      assert.equal(String(block.header?.number), String(rec.number));
      assert.equal(hex(block.header?.previousHash), rec.previous_hash);
      assert.equal(hex(block.header?.dataHash), rec.data_hash);
      assert.equal(block.data?.data?.length, rec.tx_count);
      const filter = block.metadata?.metadata?.[common.BlockMetadataIndex.TRANSACTIONS_FILTER];
      assert.deepEqual([...(filter ?? [])], rec.transactions_filter, `block ${rec.number} filter`);
      // The orderer's copy has the same header and data, and no validation codes yet.
      const ob = fromOrderer.message as common.Block;
      assert.deepEqual(ob.data?.data, block.data?.data);
      assert.equal(hex(ob.header?.dataHash), rec.data_hash);
      assert.equal(ob.metadata?.metadata?.[common.BlockMetadataIndex.TRANSACTIONS_FILTER]?.length ?? 0, 0);
      // COMMIT_HASH: the peer's metadata value is a SHA-256, from block 1 on; the orderer has none.
      const commit = nodeAt<common.Metadata>(peer, 'metadata', 'metadata', common.BlockMetadataIndex.COMMIT_HASH);
      assert.equal(commit?.message?.value?.length, rec.number === 0 ? undefined : 32, `block ${rec.number} commit hash`);
      assert.equal(nodeAt(fromOrderer, 'metadata', 'metadata', common.BlockMetadataIndex.COMMIT_HASH), undefined);
    }
  });

  void test('every transaction: txid, type, creator, chaincode, rwsets of every namespace', () => {
    let endorserTxs = 0;
    let basicTxs = 0;
    let txids = 0;
    for (const rec of recorded) {
      const tree = decodeBlockDeep(load('', rec.number));
      for (const tx of rec.transactions) {
        const where = `block ${rec.number} tx ${tx.index}`;
        const payload = nodeAt(tree, 'data', 'data', tx.index, 'payload');
        assert.ok(payload, where);
        const ch = nodeAt<common.ChannelHeader>(payload, 'header', 'channelHeader')?.message;
        const sh = nodeAt<common.SignatureHeader>(payload, 'header', 'signatureHeader');
        assert.ok(ch && sh?.message, where);
        assert.equal(ch.txId, tx.txid, where);
        assert.equal(common.HeaderType[ch.type], tx.type, where);
        assert.equal(ch.channelId, tx.channel, where);
        assert.equal(timestampToDate(ch.timestamp ?? {}).toISOString(), tx.timestamp, where);
        const creator = nodeAt<msp.SerializedIdentity>(sh, 'creator')?.message;
        assert.equal(creator?.mspid ?? '', tx.creator_mspid, where);
        // txid = SHA-256(nonce ‖ creator) of the signature header (the genesis block's creator
        // is empty, and it holds too).
        assert.equal(computeTxId(sh.message.nonce, sh.message.creator), tx.txid, `${where}: computed txid`);
        txids++;
        if (ch.type === (common.HeaderType.CONFIG as number)) {
          assert.equal(nodeAt(payload, 'data')?.type, 'common.ConfigEnvelope');
          continue;
        }
        endorserTxs++;

        const action = nodeAt(payload, 'data', 'actions', 0, 'payload');
        assert.ok(action, where);
        const ext = nodeAt<protos.ChaincodeHeaderExtension>(payload, 'header', 'channelHeader', 'extension');
        assert.equal(ext?.message?.chaincodeId?.name, tx.chaincode, where);
        const spec = nodeAt<protos.ChaincodeInvocationSpec>(action, 'chaincodeProposalPayload', 'input')?.message;
        assert.equal(spec?.chaincodeSpec?.chaincodeId?.name, tx.chaincode, where);
        const args = spec?.chaincodeSpec?.input?.args?.map((a) => Buffer.from(a).toString('utf8')) ?? [];
        assert.equal(args[0], tx.function, where);
        if (tx.chaincode === 'basic') assert.deepEqual(args.slice(1), tx.args, where);

        const endorsements = nodeAt(action, 'action')?.children['endorsements'] as BlockTreeNode[];
        assert.deepEqual(
          endorsements.map((e) => (nodeAt<msp.SerializedIdentity>(e, 'endorser')?.message?.mspid)),
          tx.endorsers,
          where,
        );
        const ccAction = nodeAt<protos.ChaincodeAction>(action, 'action', 'proposalResponsePayload', 'extension');
        assert.equal(ccAction?.message?.response?.status, tx.response_status, where);
        // The signature header of the action is the transaction creator's.
        assert.deepEqual(nodeAt(payload, 'data', 'actions', 0, 'header')?.bytes, sh.bytes, where);

        const results = nodeAt<rwset.TxReadWriteSet>(ccAction as BlockTreeNode, 'results');
        const nsSets = (results?.children['nsRwset'] ?? []) as BlockTreeNode<rwset.NsReadWriteSet>[];
        assert.deepEqual(
          nsSets.map((ns) => ns.message?.namespace),
          (tx.rwset ?? []).map((ns) => ns.namespace),
          where,
        );
        nsSets.forEach((ns, i) => {
          const want = tx.rwset?.[i];
          const kv = nodeAt<kvrwset.KVRWSet>(ns, 'rwset')?.message;
          assert.ok(want && kv, where);
          const reads = kv.reads.map((r) => ({
            key: r.key,
            version: r.version ? { block: Number(r.version.blockNum), tx: Number(r.version.txNum) } : null,
          }));
          assert.deepEqual(reads, want.reads, `${where} ${want.namespace} reads`);
          const writes = kv.writes.map((w) => ({
            key: w.key,
            is_delete: w.isDelete,
            value: Buffer.from(w.value ?? []).toString('utf8'),
          }));
          assert.deepEqual(writes, want.writes, `${where} ${want.namespace} writes`);
          assert.equal(kv.rangeQueriesInfo.length, want.range_queries.length, where);
          const collections = (ns.children['collectionHashedRwset'] ?? []) as BlockTreeNode<rwset.CollectionHashedReadWriteSet>[];
          assert.deepEqual(
            collections.map((c) => c.message?.collectionName),
            want.collection_hashed_rwsets,
            where,
          );
          for (const c of collections) assert.equal(nodeAt(c, 'hashedRwset')?.type, 'kvrwset.HashedRWSet');
          if (want.namespace === 'basic') basicTxs++;
        });
      }
    }
    assert.equal(endorserTxs, 86);
    assert.equal(txids, 87);
    assert.ok(basicTxs >= 80, `only ${basicTxs} transactions touched basic`);
  });

  void test('the genesis config block, decoded by key', () => {
    const tree = decodeBlockDeep(load('', 0), { consensusType: 'etcdraft' });
    const config = nodeAt(tree, 'data', 'data', 0, 'payload', 'data', 'config', 'channelGroup');
    assert.ok(config);
    const value = <T>(...path: (string | number)[]): T | undefined =>
      nodeAt<T>(config, ...path.slice(0, -1), 'values', path[path.length - 1] as string, 'value')?.message;
    assert.equal(value<common.HashingAlgorithm>('HashingAlgorithm')?.name, 'SHA256');
    assert.equal(value<common.BlockDataHashingStructure>('BlockDataHashingStructure')?.width, 4294967295);
    assert.ok(value<common.Capabilities>('Capabilities')?.capabilities['V2_0']);
    const batch = value<orderer.BatchSize>('groups', 'Orderer', 'BatchSize');
    assert.equal(batch?.maxMessageCount, 500);
    assert.equal(batch?.absoluteMaxBytes, 10485760);
    assert.equal(batch?.preferredMaxBytes, 2097152);
    assert.equal(value<orderer.BatchTimeout>('groups', 'Orderer', 'BatchTimeout')?.timeout, '250ms');
    const consensus = nodeAt(config, 'groups', 'Orderer', 'values', 'ConsensusType', 'value');
    assert.equal((consensus?.message as { type?: string }).type, 'etcdraft');
    assert.equal(nodeAt(consensus as BlockTreeNode, 'metadata')?.type, 'etcdraft.ConfigMetadata');
    for (const org of ['Org1MSP', 'Org2MSP']) {
      const mspNode: BlockTreeNode<msp.FabricMSPConfig> | undefined = nodeAt<msp.FabricMSPConfig>(config, 'groups', 'Application', 'groups', org, 'values', 'MSP', 'value', 'config');
      assert.equal(mspNode?.message?.name, org);
      const anchors = value<protos.AnchorPeers>('groups', 'Application', 'groups', org, 'AnchorPeers');
      assert.equal(anchors?.anchorPeers.length, 1);
      // Org policies: signature policies down to the MSP role principal.
      const principal: BlockTreeNode<common.MSPRole> | undefined = nodeAt<common.MSPRole>(
        config, 'groups', 'Application', 'groups', org, 'policies', 'Readers', 'policy', 'value', 'identities', 0, 'principal',
      );
      assert.equal(principal?.type, 'common.MSPRole');
      assert.equal(principal?.message?.mspIdentifier, org);
    }
    const implicit = nodeAt<common.ImplicitMetaPolicy>(config, 'groups', 'Application', 'policies', 'Endorsement', 'policy', 'value');
    assert.equal(implicit?.type, 'common.ImplicitMetaPolicy');
    assert.equal(implicit?.message?.rule, common.ImplicitMetaPolicy.Rule.MAJORITY);
    assert.equal(implicit?.message?.subPolicy, 'Endorsement');
  });
});
