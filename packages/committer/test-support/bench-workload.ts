/**
 * The validate + commit benchmark's workload, shared by `bench-validate.ts` (LevelDB, in this
 * package) and the repository's `bench/commit` (LevelDB and CouchDB): chaincode `bench` defined
 * through `_lifecycle` with the channel's Endorsement policy, then blocks of transactions each
 * created by User1, endorsed by both peers, reading one absent key and writing two new ones.
 */
import type { common } from '@fabric-peer/protos';
import { endorserTx, rwsetOf } from './chain.js';
import { LIFECYCLE, definitionWrites, policyReference } from './lifecycle.js';
import type { TwoOrgNetwork } from './two-orgs.js';

/**
 * Defines the chaincode, builds `blocks` blocks of `txs` transactions (signed before any clock
 * starts) and commits one more, unmeasured, as a warm-up; every transaction must be VALID.
 */
export async function prepareBenchBlocks(
  net: TwoOrgNetwork,
  blocks: number,
  txs: number,
): Promise<common.Block[]> {
  const define = await endorserTx({
    channelId: net.channelId,
    creator: net.admin1,
    endorsers: [net.peer1, net.peer2],
    chaincode: LIFECYCLE,
    version: '2.5',
    results: rwsetOf({
      namespace: LIFECYCLE,
      writes: definitionWrites('bench', policyReference('/Channel/Application/Endorsement')),
    }),
  });
  const defined = await net.committer.commitBlock(await net.blocks.next([define.envelope]));
  if (defined.validationCodes[0] !== 0) throw new Error('defining the chaincode failed');

  let k = 0;
  const built: common.Block[] = [];
  for (let b = 0; b < blocks + 1; b++) {
    const envelopes = await Promise.all(
      Array.from({ length: txs }, async () => {
        const n = k++;
        const tx = await endorserTx({
          channelId: net.channelId,
          creator: net.user1,
          endorsers: [net.peer1, net.peer2],
          chaincode: 'bench',
          results: rwsetOf({
            namespace: 'bench',
            reads: [{ key: `absent-${n}` }],
            writes: [
              { key: `a-${n}`, value: Buffer.from(`value-a-${n}`) },
              { key: `b-${n}`, value: Buffer.from(`value-b-${n}`) },
            ],
          }),
        });
        return tx.envelope;
      }),
    );
    built.push(await net.blocks.next(envelopes));
  }
  const [warmup, ...measured] = built;
  const w = await net.committer.commitBlock(warmup!);
  if (w.validationCodes.some((c) => c !== 0)) throw new Error('warm-up block has invalid txs');
  return measured;
}
