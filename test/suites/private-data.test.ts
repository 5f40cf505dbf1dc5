/**
 * Private data end to end on the two-organization network (development orderer, one peer per
 * organization, in-process runtime): the test chaincode is deployed through `_lifecycle` with three
 * collections of Org1 — `org1only` (member_only_read), `shared` (neither flag) and `org1writes`
 * (member_only_write) — and transactions that write them are submitted with
 * `@hyperledger/fabric-gateway` (unmodified), the value coming in transient data. Org1's peer
 * keeps the private write sets with the block, GetPrivate reads them back, and
 * DeliverWithPrivateData (fabric-gateway's getBlockAndPrivateDataEvents) gives Org1's user the
 * block with both write sets and Org2's user the block with the `shared` one only. Org2's peer,
 * outside the collections, keeps hashes only. Chaincode calls are held to the member-only flags
 * (Fabric's RetrieveReadWritePermission): Org2's user, a client of Org1's peer, cannot read
 * `org1only` nor write `org1writes` through the chaincode, while it reads the other two. A fourth
 * collection, `shortlived`, has a block-to-live of 2: its value, its hash on both peers and the
 * copy Org1's peer serves from its store are there through two more blocks and gone with the
 * third, as on Fabric. A key purged with PurgePrivateData leaves the state, both peers' hashes,
 * and the write sets Org1's peer serves and delivers for the blocks that wrote it.
 */
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { connect, signers, type Contract, type Gateway } from '@hyperledger/fabric-gateway';
import { ChannelsService } from '@fabric-peer/node';
import { common, kvrwset, protos } from '@fabric-peer/protos';
import { ASSET_CHAINCODE_DIR } from '../helpers/asset-suite.js';
import {
  CHANNEL,
  clientCredentials,
  deployWithLifecycle,
  startTwoOrgNetwork,
  type NetworkPeer,
  type TwoOrgNetwork,
} from '../helpers/two-org-network.js';

const CHAINCODE = 'secrets';

/** `signed_by` a member of Org1MSP. */
const ORG1_MEMBER: common.ISignaturePolicyEnvelope = {
  rule: { nOutOf: { n: 1, rules: [{ signedBy: 0 }] } },
  identities: [
    {
      principalClassification: common.MSPPrincipal.Classification.ROLE,
      principal: common.MSPRole.encode({
        mspIdentifier: 'Org1MSP',
        role: common.MSPRole.MSPRoleType.MEMBER,
      }).finish(),
    },
  ],
};

/** Blocks a `shortlived` value outlives the one that commits it. */
const SHORTLIVED_BTL = 2;

const COLLECTIONS: protos.ICollectionConfigPackage = {
  config: ['org1only', 'shared', 'org1writes', 'shortlived'].map((name) => ({
    staticCollectionConfig: {
      name,
      memberOrgsPolicy: { signaturePolicy: ORG1_MEMBER },
      requiredPeerCount: 0,
      maximumPeerCount: 1,
      memberOnlyRead: name === 'org1only',
      memberOnlyWrite: name === 'org1writes',
      blockToLive: name === 'shortlived' ? SHORTLIVED_BTL : 0,
    },
  })),
};

/** What a fabric-gateway error says, with the peers' messages in its details. */
function errorText(err: unknown): string {
  const e = err as { message?: string; details?: unknown };
  return `${e.message ?? String(err)} ${JSON.stringify(e.details ?? '')}`;
}

function readFirst(dir: string): Buffer {
  return readFileSync(join(dir, readdirSync(dir)[0]!));
}

/** A fabric-gateway connection of `user`'s organization's user to `peer`. */
function gatewayOf(
  user: NetworkPeer,
  peer: NetworkPeer,
): { gateway: Gateway; client: grpc.Client } {
  const client = new grpc.Client(peer.address, clientCredentials(peer.tlsRootCert));
  const gateway = connect({
    client,
    identity: { mspId: user.mspId, credentials: readFirst(join(user.userMspDir, 'signcerts')) },
    signer: signers.newPrivateKeySigner(
      createPrivateKey(readFirst(join(user.userMspDir, 'keystore'))),
    ),
  });
  return { gateway, client };
}

/** What DeliverWithPrivateData gave for one block. */
interface DeliveredBlock {
  readonly number: number;
  /** txid of each transaction, by index. */
  readonly txIds: string[];
  /** tx index → `namespace/collection` → the collection's KVRWSet. */
  readonly privateData: Map<number, Map<string, kvrwset.KVRWSet>>;
}

/** Blocks `from`..`to` through fabric-gateway's getBlockAndPrivateDataEvents. */
async function deliverWithPrivateData(
  gateway: Gateway,
  from: number,
  to: number,
): Promise<DeliveredBlock[]> {
  const events = await gateway
    .getNetwork(CHANNEL)
    .getBlockAndPrivateDataEvents({ startBlock: BigInt(from) });
  const out: DeliveredBlock[] = [];
  try {
    for await (const event of events) {
      // What the client received, read with this repository's protobuf classes.
      const received = protos.BlockAndPrivateData.decode(event.serializeBinary());
      const block = received.block!;
      const txIds = (block.data?.data ?? []).map((env) => {
        const payload = common.Payload.decode(common.Envelope.decode(env).payload);
        return common.ChannelHeader.decode(payload.header!.channelHeader!).txId;
      });
      const privateData = new Map<number, Map<string, kvrwset.KVRWSet>>();
      for (const [key, writeSet] of Object.entries(received.privateDataMap)) {
        const colls = new Map<string, kvrwset.KVRWSet>();
        for (const ns of writeSet.nsPvtRwset ?? []) {
          for (const c of ns.collectionPvtRwset ?? []) {
            colls.set(
              `${ns.namespace}/${c.collectionName}`,
              kvrwset.KVRWSet.decode(c.rwset ?? new Uint8Array(0)),
            );
          }
        }
        privateData.set(seqOf(key), colls);
      }
      out.push({ number: Number(block.header!.number), txIds, privateData });
      if (Number(block.header!.number) >= to) break;
    }
  } finally {
    events.close();
  }
  return out;
}

/** protobufjs decodes uint64 map keys to 8-character little-endian strings. */
function seqOf(key: string): number {
  return key.length === 8 ? Number(Buffer.from(key, 'latin1').readBigUInt64LE()) : Number(key);
}

function ledgerOf(peer: NetworkPeer) {
  return peer.node!.kernel.container.get(ChannelsService).registry.get(CHANNEL)!.ledger;
}

describe(
  'private data: kept with the block, read back, delivered by collection',
  { timeout: 300_000 },
  () => {
    let net: TwoOrgNetwork;
    let org1: { gateway: Gateway; client: grpc.Client };
    let org2AtOrg1Peer: { gateway: Gateway; client: grpc.Client };
    /** Where each submitted transaction landed. */
    const landed = new Map<string, { txId: string; block: number }>();

    before(async () => {
      // V2_5: PurgePrivateData needs it.
      net = await startTwoOrgNetwork({
        vmProviders: ['inprocess'],
        batchTimeout: '250ms',
        applicationCapabilities: ['V2_5'],
      });
      await deployWithLifecycle(net, {
        name: CHAINCODE,
        label: 'secrets_1.0',
        codeDir: ASSET_CHAINCODE_DIR,
        collections: COLLECTIONS,
      });
      org1 = gatewayOf(net.peers[0], net.peers[0]);
      org2AtOrg1Peer = gatewayOf(net.peers[1], net.peers[0]);

      const contract = org1.gateway.getNetwork(CHANNEL).getContract(CHAINCODE);
      for (const [collection, key, value] of [
        ['org1only', 'k1', 'only org1 reads this'],
        ['shared', 'k2', 'anyone may read this'],
        ['org1writes', 'k3', 'only org1 writes this'],
      ] as const) {
        // Transient data makes the gateway keep endorsement inside the collection's members unless
        // the client names the organizations (the channel's endorsement policy needs both).
        const tx = await contract
          .newProposal('PutPrivate', {
            arguments: [collection, key],
            transientData: { value },
            endorsingOrganizations: ['Org1MSP', 'Org2MSP'],
          })
          .endorse();
        const status = await (await tx.submit()).getStatus();
        assert.equal(status.code, protos.TxValidationCode.VALID, `PutPrivate ${collection}`);
        landed.set(collection, { txId: tx.getTransactionId(), block: Number(status.blockNumber) });
      }
      await net.waitForHeight(Math.max(...[...landed.values()].map((l) => l.block)) + 1);
    });

    /**
     * Submits `fn` endorsed by Org1 and Org2 (`value` as transient data), checks it is VALID and
     * waits for both peers to commit its block; returns the block number.
     */
    const submitByBoth = async (
      contract: Contract,
      fn: string,
      args: string[],
      value?: string,
    ): Promise<number> => {
      const tx = await contract
        .newProposal(fn, {
          arguments: args,
          ...(value !== undefined ? { transientData: { value } } : {}),
          endorsingOrganizations: ['Org1MSP', 'Org2MSP'],
        })
        .endorse()
        .catch((err: unknown) => assert.fail(`${fn}: ${errorText(err)}`));
      const status = await (await tx.submit()).getStatus();
      assert.equal(status.code, protos.TxValidationCode.VALID, fn);
      const block = Number(status.blockNumber);
      await net.waitForHeight(block + 1);
      return block;
    };

    after(async () => {
      for (const c of [org1, org2AtOrg1Peer]) {
        c?.gateway.close();
        c?.client.close();
      }
      await net?.stop();
    });

    it('reads the private value back on the member peer; the other peer keeps only its hash', async () => {
      const contract = org1.gateway.getNetwork(CHANNEL).getContract(CHAINCODE);
      const read = await contract.evaluateTransaction('GetPrivate', 'org1only', 'k1');
      assert.equal(Buffer.from(read).toString(), 'only org1 reads this');
      const shared = await contract.evaluateTransaction('GetPrivate', 'shared', 'k2');
      assert.equal(Buffer.from(shared).toString(), 'anyone may read this');

      // The ledgers' private data stores: Org1's peer kept the write set with the block, Org2's
      // peer (outside the collection) nothing; both committed the hash.
      const { block } = landed.get('org1only')!;
      const kept = await ledgerOf(net.peers[0]).getPvtDataByNum(block);
      assert.ok(
        kept.some((t) =>
          t.writeSet.nsPvtRwset.some(
            (ns) =>
              ns.namespace === CHAINCODE &&
              (ns.collectionPvtRwset ?? []).some((c) => c.collectionName === 'org1only'),
          ),
        ),
      );
      assert.deepEqual(await ledgerOf(net.peers[1]).getPvtDataByNum(block), []);
      const qe = await ledgerOf(net.peers[1]).newQueryExecutor();
      try {
        assert.ok(await qe.getPrivateDataHash(CHAINCODE, 'org1only', 'k1'));
      } finally {
        qe.done();
      }
    });

    it('delivers a member the blocks with the private write sets of both collections', async () => {
      const blocks = [...landed.values()].map((l) => l.block);
      const delivered = await deliverWithPrivateData(
        org1.gateway,
        Math.min(...blocks),
        Math.max(...blocks),
      );
      for (const [collection, key, value] of [
        ['org1only', 'k1', 'only org1 reads this'],
        ['shared', 'k2', 'anyone may read this'],
      ] as const) {
        const { txId, block } = landed.get(collection)!;
        const b = delivered.find((d) => d.number === block)!;
        const seq = b.txIds.indexOf(txId);
        assert.ok(seq >= 0, `${txId} is in block ${block}`);
        const rwset = b.privateData.get(seq)?.get(`${CHAINCODE}/${collection}`);
        assert.ok(rwset, `the write set of ${collection}`);
        assert.deepEqual(
          rwset.writes.map((w) => [w.key, Buffer.from(w.value ?? []).toString()]),
          [[key, value]],
        );
      }
    });

    it('delivers a non-member the blocks without the member-only collection', async () => {
      const blocks = [...landed.values()].map((l) => l.block);
      const delivered = await deliverWithPrivateData(
        org2AtOrg1Peer.gateway,
        Math.min(...blocks),
        Math.max(...blocks),
      );
      const secret = landed.get('org1only')!;
      const secretBlock = delivered.find((d) => d.number === secret.block)!;
      assert.ok(secretBlock.txIds.includes(secret.txId), 'the block itself is delivered');
      const seq = secretBlock.txIds.indexOf(secret.txId);
      assert.equal(secretBlock.privateData.get(seq), undefined);
      for (const d of delivered) {
        for (const colls of d.privateData.values()) {
          assert.ok(!colls.has(`${CHAINCODE}/org1only`), `block ${d.number}`);
        }
      }
      // The collection that is not member_only_read is readable by any reader of the channel.
      const open = landed.get('shared')!;
      const openBlock = delivered.find((d) => d.number === open.block)!;
      const shared = openBlock.privateData
        .get(openBlock.txIds.indexOf(open.txId))
        ?.get(`${CHAINCODE}/shared`);
      assert.equal(Buffer.from(shared!.writes[0]!.value ?? []).toString(), 'anyone may read this');
    });

    it('refuses a non-member client the member-only collection through the chaincode', async () => {
      const contract = org2AtOrg1Peer.gateway.getNetwork(CHANNEL).getContract(CHAINCODE);
      await assert.rejects(contract.evaluateTransaction('GetPrivate', 'org1only', 'k1'), (err) => {
        assert.match(
          errorText(err),
          /tx creator does not have read access permission on privatedata in chaincodeName:secrets collectionName: org1only/,
        );
        assert.doesNotMatch(errorText(err), /only org1 reads this/);
        return true;
      });
      // Collections that are not member_only_read are read by anyone.
      for (const [collection, key, value] of [
        ['shared', 'k2', 'anyone may read this'],
        ['org1writes', 'k3', 'only org1 writes this'],
      ] as const) {
        const read = await contract.evaluateTransaction('GetPrivate', collection, key);
        assert.equal(Buffer.from(read).toString(), value, collection);
      }
    });

    it('refuses a non-member write to a member-only-write collection; members write it', async () => {
      const write = (client: { gateway: Gateway }, collection: string, key: string) =>
        client.gateway
          .getNetwork(CHANNEL)
          .getContract(CHAINCODE)
          .newProposal('PutPrivate', {
            arguments: [collection, key],
            transientData: { value: `written to ${collection}` },
            endorsingOrganizations: ['Org1MSP'],
          })
          .endorse();
      await assert.rejects(write(org2AtOrg1Peer, 'org1writes', 'k4'), (err) => {
        assert.match(
          errorText(err),
          /tx creator does not have write access permission on privatedata in chaincodeName:secrets collectionName: org1writes/,
        );
        return true;
      });
      // The member writes it (endorsed; the before hook committed one such write too), and the
      // non-member writes where write is not member-only.
      await write(org1, 'org1writes', 'k4');
      await write(org2AtOrg1Peer, 'org1only', 'k4');
    });

    it("expires a collection's data after its block-to-live, on both peers", async () => {
      const contract = org1.gateway.getNetwork(CHANNEL).getContract(CHAINCODE);
      const submit = (fn: string, args: string[], value?: string) =>
        submitByBoth(contract, fn, args, value);
      /** What each peer holds of `k` in `shortlived`, and whether Org1 serves block c's copy. */
      const observe = async (c: number) => {
        const value = Buffer.from(
          await contract.evaluateTransaction('GetPrivate', 'shortlived', 'k'),
        ).toString();
        const hashes: boolean[] = [];
        for (const peer of net.peers) {
          const qe = await ledgerOf(peer).newQueryExecutor();
          try {
            hashes.push((await qe.getPrivateDataHash(CHAINCODE, 'shortlived', 'k')) !== undefined);
          } finally {
            qe.done();
          }
        }
        const stored = (await ledgerOf(net.peers[0]).getPvtDataByNum(c)).some((t) =>
          t.writeSet.nsPvtRwset.some((ns) =>
            (ns.collectionPvtRwset ?? []).some((x) => x.collectionName === 'shortlived'),
          ),
        );
        return { value, hashes, stored };
      };
      const c = await submit('PutPrivate', ['shortlived', 'k'], 'gone soon');
      const present = { value: 'gone soon', hashes: [true, true], stored: true };
      assert.deepEqual(await observe(c), present);
      // One block at a time (each submit waits for its commit) up to c + BTL: still there.
      let last = c;
      while (last < c + SHORTLIVED_BTL) last = await submit('GetPut', ['btl-tick', String(last)]);
      assert.equal(last, c + SHORTLIVED_BTL, 'each submit committed its own block');
      assert.deepEqual(await observe(c), present);

      // Block c + BTL + 1 removes it: the value, both peers' hashes; the stored copy is not served.
      assert.equal(await submit('GetPut', ['btl-tick', 'expiry']), c + SHORTLIVED_BTL + 1);
      assert.deepEqual(await observe(c), { value: '', hashes: [false, false], stored: false });
      const [delivered] = await deliverWithPrivateData(org1.gateway, c, c);
      assert.ok(
        ![...delivered!.privateData.values()].some((colls) => colls.has(`${CHAINCODE}/shortlived`)),
        'DeliverWithPrivateData no longer has it',
      );
    });

    it('purges a key: its value, both hashes and its past writes everywhere', async () => {
      const contract = org1.gateway.getNetwork(CHANNEL).getContract(CHAINCODE);
      const submit = (fn: string, args: string[], value?: string) =>
        submitByBoth(contract, fn, args, value);
      /** The writes of `p1` Org1's peer serves for a block, as `key=value`. */
      const storedWrites = async (block: number): Promise<string[]> =>
        (await ledgerOf(net.peers[0]).getPvtDataByNum(block)).flatMap((t) =>
          t.writeSet.nsPvtRwset.flatMap((ns) =>
            (ns.collectionPvtRwset ?? []).flatMap((c) =>
              kvrwset.KVRWSet.decode(c.rwset!)
                .writes.filter((w) => w.key === 'p1')
                .map((w) => `${w.key}=${Buffer.from(w.value ?? []).toString()}`),
            ),
          ),
        );
      const first = await submit('PutPrivate', ['shared', 'p1'], 'first');
      const second = await submit('PutPrivate', ['shared', 'p1'], 'second');
      assert.deepEqual(await storedWrites(first), ['p1=first']);
      assert.deepEqual(await storedWrites(second), ['p1=second']);
      await submit('PurgePrivate', ['shared', 'p1']);

      const read = await contract.evaluateTransaction('GetPrivate', 'shared', 'p1');
      assert.equal(Buffer.from(read).toString(), '');
      for (const peer of net.peers) {
        const qe = await ledgerOf(peer).newQueryExecutor();
        try {
          assert.equal(await qe.getPrivateDataHash(CHAINCODE, 'shared', 'p1'), undefined);
        } finally {
          qe.done();
        }
      }
      assert.deepEqual(await storedWrites(first), []);
      assert.deepEqual(await storedWrites(second), []);
      const delivered = await deliverWithPrivateData(org1.gateway, first, second);
      for (const b of delivered) {
        for (const colls of b.privateData.values()) {
          const shared = colls.get(`${CHAINCODE}/shared`);
          assert.ok(!shared?.writes.some((w) => w.key === 'p1'), `block ${b.number} still has p1`);
        }
      }
    });

    it('fails GetPrivate of a collection the definition does not have, naming it', async () => {
      const contract = org1.gateway.getNetwork(CHANNEL).getContract(CHAINCODE);
      // Fabric checks the creator's permissions first, which need the collection's configuration.
      await assert.rejects(contract.evaluateTransaction('GetPrivate', 'nosuch', 'k1'), (err) => {
        assert.match(errorText(err), /collection mychannel\/secrets\/nosuch could not be found/);
        return true;
      });
    });
  },
);
