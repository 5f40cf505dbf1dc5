/**
 * Key-level (state-based) and collection-level endorsement policies through the committer and
 * DefaultValidation, with Fabric v2.0's semantics: a written key's VALIDATION_PARAMETER replaces
 * the chaincode policy for that key; a key whose parameter an earlier transaction of the same
 * block changes (and which passed validation) cannot be written; collection writes follow the
 * collection's policy, implicit collections their org's Endorsement policy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signaturePolicyFromString } from '@fabric-peer/devtools';
import { common } from '@fabric-peer/protos';

import {
  codeNames,
  defineChaincode,
  endorserTx,
  hash,
  openCommitterFixture,
  policyReference,
  rwsetOf,
  type CollSpec,
  type CommitterFixture,
  type NsSpec,
  type TestSigner,
} from '../test-support/index.js';

const enc = new TextEncoder();
const VP = 'VALIDATION_PARAMETER';
/** A key-level policy: Org1's admin must endorse. */
const adminOnly = common.SignaturePolicyEnvelope.encode(
  signaturePolicyFromString("OR('Org1MSP.admin')"),
).finish();

// In memory, and on LevelDB presented as a remote database (the committer then reads each
// block's keys in bulk before validating it, as on CouchDB): the same outcomes.
for (const database of ['memory', 'leveldb-as-remote'] as const) {
  describe(`state-based and collection endorsement policies (${database})`, () => {
    let f: CommitterFixture;

    before(async () => {
      f = await openCommitterFixture({ database });
      await defineChaincode(f, 'sbe', policyReference('/Channel/Application/Endorsement'), {
        collections: {
          config: [
            {
              staticCollectionConfig: {
                name: 'adminColl',
                memberOrgsPolicy: {
                  signaturePolicy: signaturePolicyFromString("OR('Org1MSP.member')"),
                },
                endorsementPolicy: {
                  signaturePolicy: signaturePolicyFromString("OR('Org1MSP.admin')"),
                },
              },
            },
            {
              staticCollectionConfig: {
                name: 'plainColl',
                memberOrgsPolicy: {
                  signaturePolicy: signaturePolicyFromString("OR('Org1MSP.member')"),
                },
              },
            },
          ],
        },
      });
    });
    after(() => f.close());

    async function tx(
      ns: Omit<NsSpec, 'namespace'>,
      endorsers: TestSigner[],
      creator?: TestSigner,
    ) {
      return endorserTx({
        channelId: f.net.channelId,
        creator: creator ?? f.net.identities.user,
        endorsers,
        chaincode: 'sbe',
        results: rwsetOf({ ...ns, namespace: 'sbe' }),
      });
    }

    async function commit(...envelopes: Uint8Array[]): Promise<string[]> {
      const done = await f.committer.commitBlock(await f.blocks.next(envelopes));
      return codeNames(done.validationCodes);
    }

    const write = (key: string) => ({ key, value: enc.encode(`value of ${key}`) });
    const setVp = (key: string) => ({ key, entries: [{ name: VP, value: adminOnly }] });

    it('a key-level policy set on a key replaces the chaincode policy for that key', async () => {
      const { peer, admin } = f.net.identities;
      // Setting the parameter is itself a write under the chaincode policy (the peer).
      assert.deepEqual(
        await commit(
          (await tx({ writes: [write('k1')], metadataWrites: [setVp('k1')] }, [peer])).envelope,
        ),
        ['VALID'],
      );
      assert.deepEqual(await commit((await tx({ writes: [write('k1')] }, [peer])).envelope), [
        'ENDORSEMENT_POLICY_FAILURE',
      ]);
      // The admin alone satisfies the key's policy; no other policy applies to this transaction.
      assert.deepEqual(await commit((await tx({ writes: [write('k1')] }, [admin])).envelope), [
        'VALID',
      ]);
      // A second key without a key-level policy brings the chaincode policy back.
      assert.deepEqual(
        await commit((await tx({ writes: [write('k1'), write('k2')] }, [admin])).envelope),
        ['ENDORSEMENT_POLICY_FAILURE'],
      );
      assert.deepEqual(
        await commit((await tx({ writes: [write('k1'), write('k2')] }, [admin, peer])).envelope),
        ['VALID'],
      );
      // Changing or removing the key's metadata is a write of the key: its policy applies.
      assert.deepEqual(
        await commit((await tx({ metadataWrites: [{ key: 'k1', entries: [] }] }, [peer])).envelope),
        ['ENDORSEMENT_POLICY_FAILURE'],
      );
    });

    it('a key whose parameter an earlier transaction of the block changes cannot be written', async () => {
      const { peer } = f.net.identities;
      const setter = await tx({ writes: [write('k3')], metadataWrites: [setVp('k3')] }, [peer]);
      const writer = await tx({ writes: [write('k3')] }, [peer]);
      const other = await tx({ writes: [write('k4')] }, [peer]);
      assert.deepEqual(await commit(setter.envelope, writer.envelope, other.envelope), [
        'VALID',
        'ENDORSEMENT_POLICY_FAILURE',
        'VALID',
      ]);
    });

    it('the earlier change counts once it passed validation, even if MVCC then fails it', async () => {
      const { peer } = f.net.identities;
      const stale = await tx(
        {
          reads: [{ key: 'k1', version: { blockNum: 1, txNum: 0 } }],
          metadataWrites: [{ key: 'k5', entries: [{ name: VP, value: adminOnly }] }],
        },
        [peer],
      );
      const writer = await tx({ writes: [write('k5')] }, [peer]);
      assert.deepEqual(await commit(stale.envelope, writer.envelope), [
        'MVCC_READ_CONFLICT',
        'ENDORSEMENT_POLICY_FAILURE',
      ]);
    });

    it('an earlier change that failed validation, or never reached it, does not count (and nothing hangs)', async () => {
      const { peer, user } = f.net.identities;
      const unendorsed = await tx({ metadataWrites: [setVp('k6')] }, [user]);
      const badCreator = await endorserTx({
        channelId: f.net.channelId,
        creator: user,
        endorsers: [peer],
        chaincode: 'sbe',
        results: rwsetOf({ namespace: 'sbe', metadataWrites: [setVp('k7')] }),
        signature: (s) => Uint8Array.from(s, (b, i) => (i === 20 ? b ^ 1 : b)),
      });
      const w6 = await tx({ writes: [write('k6')] }, [peer]);
      const w7 = await tx({ writes: [write('k7')] }, [peer]);
      assert.deepEqual(
        await commit(unendorsed.envelope, badCreator.envelope, w6.envelope, w7.envelope),
        ['ENDORSEMENT_POLICY_FAILURE', 'BAD_CREATOR_SIGNATURE', 'VALID', 'VALID'],
      );
    });

    it('a collection write follows the collection policy, or the chaincode policy without one', async () => {
      const { peer, admin } = f.net.identities;
      const coll = (name: string, key: string): NsSpec => ({
        namespace: 'sbe',
        collections: [
          { name, hashedWrites: [{ keyHash: hash(key), valueHash: hash(`value of ${key}`) }] },
        ],
      });
      assert.deepEqual(await commit((await tx(coll('adminColl', 'p1'), [peer])).envelope), [
        'ENDORSEMENT_POLICY_FAILURE',
      ]);
      // The collection policy held: the chaincode policy is not evaluated.
      assert.deepEqual(await commit((await tx(coll('adminColl', 'p1'), [admin])).envelope), [
        'VALID',
      ]);
      assert.deepEqual(await commit((await tx(coll('plainColl', 'p2'), [admin])).envelope), [
        'ENDORSEMENT_POLICY_FAILURE',
      ]);
      assert.deepEqual(await commit((await tx(coll('plainColl', 'p2'), [peer])).envelope), [
        'VALID',
      ]);
      assert.deepEqual(await commit((await tx(coll('noSuchColl', 'p3'), [peer, admin])).envelope), [
        'ENDORSEMENT_POLICY_FAILURE',
      ]);
    });

    it("an implicit collection follows its org's Endorsement policy", async () => {
      const { peer, user } = f.net.identities;
      const implicit: NsSpec = {
        namespace: 'sbe',
        collections: [
          {
            name: '_implicit_org_Org1MSP',
            hashedWrites: [{ keyHash: hash('i1'), valueHash: hash('v') }],
          },
        ],
      };
      assert.deepEqual(await commit((await tx(implicit, [peer])).envelope), ['VALID']);
      assert.deepEqual(await commit((await tx(implicit, [user])).envelope), [
        'ENDORSEMENT_POLICY_FAILURE',
      ]);
    });

    it('a key-level policy on a private key (by its hash) applies to its writes', async () => {
      const { peer, admin } = f.net.identities;
      const keyHash = hash('s1');
      const coll = (extra: Omit<CollSpec, 'name'>): NsSpec => ({
        namespace: 'sbe',
        collections: [{ name: 'plainColl', ...extra }],
      });
      assert.deepEqual(
        await commit(
          (
            await tx(
              coll({
                hashedWrites: [{ keyHash, valueHash: hash('v1') }],
                hashedMetadataWrites: [{ keyHash, entries: [{ name: VP, value: adminOnly }] }],
              }),
              [peer],
            )
          ).envelope,
        ),
        ['VALID'],
      );
      const overwrite = coll({ hashedWrites: [{ keyHash, valueHash: hash('v2') }] });
      assert.deepEqual(await commit((await tx(overwrite, [peer])).envelope), [
        'ENDORSEMENT_POLICY_FAILURE',
      ]);
      assert.deepEqual(await commit((await tx(overwrite, [admin])).envelope), ['VALID']);
    });

    it('a key-level parameter that is not a policy stops the block, as in Fabric', async () => {
      const { peer } = f.net.identities;
      const bad = {
        key: 'k9',
        entries: [{ name: VP, value: Uint8Array.of(0x0a, 0x09) }],
      };
      assert.deepEqual(
        await commit((await tx({ writes: [write('k9')], metadataWrites: [bad] }, [peer])).envelope),
        ['VALID'],
      );
      const block = await f.blocks.make([(await tx({ writes: [write('k9')] }, [peer])).envelope]);
      await assert.rejects(f.committer.commitBlock(block), /could not translate policy for sbe:k9/);
    });
  });
}
