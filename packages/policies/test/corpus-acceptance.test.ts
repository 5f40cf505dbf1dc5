/**
 * The real Fabric v2.4.9 corpus through the real X.509 MSP and these policies: every creator
 * signature, endorsement and orderer block signature verifies; one flipped byte in a signature, a
 * signed payload or a certificate breaks it; and each transaction's endorsement-policy outcome is
 * the one Fabric recorded in the block's TRANSACTIONS_FILTER.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { SignedData } from '@fabric-peer/api';
import { common, kvrwset, msp, protos, rwset } from '@fabric-peer/protos';
import {
  blockSignaturesSignedData,
  bundleFromBlock,
  endorsementsSignedData,
  envelopeSignedData,
  type ChannelConfigBundle,
} from '../src/index.js';
import { corpusDir, genesisBlockBytes } from '../test-support/corpus.js';

const ENDORSEMENT_POLICY_FAILURE: number = protos.TxValidationCode.ENDORSEMENT_POLICY_FAILURE;

interface CorpusTx {
  block: number;
  index: number;
  envelope: common.Envelope;
  creator: SignedData;
  endorsements: SignedData[];
  /** Namespaces and collections the transaction writes. */
  writes: { namespace: string; public: boolean; collections: string[] }[];
  code: number;
}

function loadBlock(n: number): common.Block {
  return common.Block.decode(readFileSync(join(corpusDir(), `block-${n}.pb`)));
}

function writesOf(prp: Uint8Array): CorpusTx['writes'] {
  const payload = protos.ProposalResponsePayload.decode(prp);
  const action = protos.ChaincodeAction.decode(payload.extension);
  const txrw = rwset.TxReadWriteSet.decode(action.results);
  return txrw.nsRwset.map((ns) => ({
    namespace: ns.namespace ?? '',
    public: kvrwset.KVRWSet.decode(ns.rwset ?? new Uint8Array()).writes.length > 0,
    collections: (ns.collectionHashedRwset ?? [])
      .filter(
        (c) =>
          kvrwset.HashedRWSet.decode(c.hashedRwset ?? new Uint8Array()).hashedWrites.length > 0,
      )
      .map((c) => c.collectionName ?? ''),
  }));
}

/** Every endorser transaction of blocks 1..86. */
function endorserTransactions(): CorpusTx[] {
  const out: CorpusTx[] = [];
  for (let n = 1; n <= 86; n++) {
    const block = loadBlock(n);
    const filter = block.metadata!.metadata![common.BlockMetadataIndex.TRANSACTIONS_FILTER]!;
    block.data!.data!.forEach((bytes, index) => {
      const envelope = common.Envelope.decode(bytes);
      const payload = common.Payload.decode(envelope.payload);
      const tx = protos.Transaction.decode(payload.data);
      const endorsements: SignedData[] = [];
      const writes: CorpusTx['writes'] = [];
      for (const action of tx.actions) {
        const cap = protos.ChaincodeActionPayload.decode(action.payload!);
        endorsements.push(...endorsementsSignedData(cap.action!));
        writes.push(...writesOf(cap.action!.proposalResponsePayload!));
      }
      out.push({
        block: n,
        index,
        envelope,
        creator: envelopeSignedData(envelope),
        endorsements,
        writes,
        code: filter[index]!,
      });
    });
  }
  return out;
}

/**
 * The policy Fabric's default validation applies to each written namespace in this corpus: the
 * chaincode's default endorsement policy, LifecycleEndorsement for `_lifecycle`'s public state, and
 * the org's Endorsement policy for its implicit collection (what ApproveChaincodeDefinitionForMyOrg
 * writes; those writes are covered by the collection's policy, so the chaincode-level one is not
 * checked). Namespaces only read (lscc, during lifecycle calls) are not validated.
 */
function policiesFor(tx: CorpusTx, bundle: ChannelConfigBundle): string[] {
  const paths = new Set<string>();
  for (const w of tx.writes) {
    if (!w.public && w.collections.length === 0) continue;
    if (w.namespace === '_lifecycle') {
      if (w.public) paths.add('/Channel/Application/LifecycleEndorsement');
      for (const c of w.collections) {
        const mspId = c.replace(/^_implicit_org_/, '');
        const org = [...bundle.application!.organizations.values()].find((o) => o.mspId === mspId);
        assert.ok(org, `org of ${c}`);
        paths.add(`/Channel/Application/${org.name}/Endorsement`);
      }
    } else {
      paths.add('/Channel/Application/Endorsement');
    }
  }
  return [...paths];
}

async function verifies(bundle: ChannelConfigBundle, sd: SignedData): Promise<boolean> {
  try {
    const id = bundle.deserializer.deserializeIdentity(sd.identity);
    id.validate();
    await id.verify(sd.data, sd.signature);
    return true;
  } catch {
    return false;
  }
}

function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[at] = copy[at]! ^ 0xff;
  return copy;
}

/** A deterministic position generator, so failures reproduce. */
function positions(length: number, count: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: count }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % length;
  });
}

/** The serialized identity with one byte of its certificate's DER flipped. */
function withCertByteFlipped(serialized: Uint8Array, at: number): Uint8Array {
  const id = msp.SerializedIdentity.decode(serialized);
  const b64 = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(
    Buffer.from(id.idBytes).toString(),
  )![1]!;
  const der = flipped(Buffer.from(b64.replace(/\s+/g, ''), 'base64'), at);
  const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
  return msp.SerializedIdentity.encode({ mspid: id.mspid, idBytes: Buffer.from(pem) }).finish();
}

function certDerLength(serialized: Uint8Array): number {
  const id = msp.SerializedIdentity.decode(serialized);
  const b64 = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(
    Buffer.from(id.idBytes).toString(),
  )![1]!;
  return Buffer.from(b64.replace(/\s+/g, ''), 'base64').length;
}

describe('the corpus through the X.509 MSP and the channel policies', () => {
  let bundle: ChannelConfigBundle;
  let txs: CorpusTx[];

  before(async () => {
    bundle = await bundleFromBlock(genesisBlockBytes());
    txs = endorserTransactions();
  });

  it('reads 86 endorser transactions, 85 endorsed by both orgs and one by Org1 only', () => {
    assert.equal(txs.length, 86);
    const orgs = (tx: CorpusTx) =>
      tx.endorsements
        .map((e) => msp.SerializedIdentity.decode(e.identity).mspid)
        .sort()
        .join(',');
    assert.equal(txs.filter((t) => t.block === 86).map(orgs)[0], 'Org1MSP');
  });

  it("verifies every creator's signature over its payload", async () => {
    for (const tx of txs)
      assert.ok(await verifies(bundle, tx.creator), `creator of block ${tx.block} tx ${tx.index}`);
  });

  it('verifies every endorsement over proposal response payload ‖ endorser', async () => {
    let count = 0;
    for (const tx of txs) {
      for (const e of tx.endorsements) {
        assert.ok(await verifies(bundle, e), `endorsement in block ${tx.block}`);
        count++;
      }
    }
    // 3 lifecycle transactions (1, 1 and 2 endorsements), 82 by both orgs, 1 by Org1 only.
    assert.equal(count, 1 + 1 + 2 + 82 * 2 + 1);
  });

  it("satisfies /Channel/Orderer/BlockValidation with every block's orderer signature", async () => {
    const policy = bundle.policyManager.requirePolicy('/Channel/Orderer/BlockValidation');
    for (let n = 1; n <= 86; n++) {
      const signatures = blockSignaturesSignedData(loadBlock(n));
      assert.equal(signatures.length, 1, `block ${n}`);
      await policy.evaluateSignedData(signatures);
    }
  });

  it('fails when any byte of a creator signature is flipped', async () => {
    for (const tx of txs) {
      for (let at = 0; at < tx.creator.signature.length; at++) {
        const broken = { ...tx.creator, signature: flipped(tx.creator.signature, at) };
        assert.equal(
          await verifies(bundle, broken),
          false,
          `block ${tx.block} signature byte ${at}`,
        );
      }
    }
  });

  it('fails when a byte of a signed payload is flipped', async () => {
    for (const tx of txs) {
      for (const at of positions(tx.creator.data.length, 24, tx.block)) {
        assert.equal(
          await verifies(bundle, { ...tx.creator, data: flipped(tx.creator.data, at) }),
          false,
          `block ${tx.block} payload byte ${at}`,
        );
      }
      for (const e of tx.endorsements) {
        for (const at of positions(e.data.length, 8, tx.block + 1000)) {
          assert.equal(
            await verifies(bundle, { ...e, data: flipped(e.data, at) }),
            false,
            `block ${tx.block} endorsement byte ${at}`,
          );
        }
      }
    }
  });

  it("fails when any byte of a creator's or endorser's certificate is flipped", async () => {
    const creator = txs[10]!.creator;
    const endorser = txs[10]!.endorsements.find(
      (e) => msp.SerializedIdentity.decode(e.identity).mspid === 'Org2MSP',
    )!;
    for (const sd of [creator, endorser]) {
      const length = certDerLength(sd.identity);
      for (let at = 0; at < length; at++) {
        assert.equal(
          await verifies(bundle, { ...sd, identity: withCertByteFlipped(sd.identity, at) }),
          false,
          `certificate byte ${at}`,
        );
      }
    }
  });

  it('fails BlockValidation when any byte of an orderer signature or of the block header is flipped', async () => {
    const policy = bundle.policyManager.requirePolicy('/Channel/Orderer/BlockValidation');
    const block = loadBlock(40);
    const [sd] = blockSignaturesSignedData(block);
    for (let at = 0; at < sd!.signature.length; at++) {
      await assert.rejects(
        policy.evaluateSignedData([{ ...sd!, signature: flipped(sd!.signature, at) }]),
        `signature byte ${at}`,
      );
    }
    for (let at = 0; at < 32; at++) {
      const header = { ...block.header!, dataHash: flipped(block.header!.dataHash!, at) };
      await assert.rejects(
        policy.evaluateSignedData(blockSignaturesSignedData({ ...block, header })),
        `data hash byte ${at}`,
      );
    }
  });

  it("agrees with Fabric's endorsement-policy outcome for every transaction: only block 86 fails", async () => {
    const failed: number[] = [];
    for (const tx of txs) {
      let ok = true;
      for (const path of policiesFor(tx, bundle)) {
        try {
          await bundle.policyManager.requirePolicy(path).evaluateSignedData(tx.endorsements);
        } catch {
          ok = false;
        }
      }
      assert.equal(
        ok,
        tx.code !== ENDORSEMENT_POLICY_FAILURE,
        `block ${tx.block}: Fabric's code ${tx.code}`,
      );
      if (!ok) failed.push(tx.block);
    }
    assert.deepEqual(failed, [86]);
    // And that one fails MAJORITY Endorsement specifically, as Fabric's VSCC said.
    const last = txs.find((t) => t.block === 86)!;
    await assert.rejects(
      bundle.policyManager
        .requirePolicy('/Channel/Application/Endorsement')
        .evaluateSignedData(last.endorsements),
    );
  });
});
