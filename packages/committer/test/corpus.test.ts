/**
 * Fabric's own blocks through the committer: the corpus blocks 1..86 as the orderer delivered them
 * (empty TRANSACTIONS_FILTER, real orderer signatures) are verified against the channel's
 * BlockValidation policy, validated (creator signatures, `_lifecycle` and `basic` endorsement
 * policies with DefaultValidation, including the implicit-collection policies of the approvals)
 * and committed on a real LevelDB ledger created from block 0. Every block must end with Fabric's
 * TRANSACTIONS_FILTER (block 85 MVCC_READ_CONFLICT, block 86 ENDORSEMENT_POLICY_FAILURE, all else
 * VALID) and Fabric's COMMIT_HASH, and the final `basic` state must equal state.json.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StateDatabaseProvider } from '@fabric-peer/api';
import { ChannelManager } from '@fabric-peer/channel';
import { DefaultValidation } from '@fabric-peer/handlers-default';
import { openLedgerManager, type LedgerManager } from '@fabric-peer/ledger';
import { common, protos } from '@fabric-peer/protos';
import { recordingLoggers } from '@fabric-peer/testkit';

import { Committer, ValidatorPool, type CommittedBlock } from '../src/index.js';
import {
  CORPUS_BLOCKS,
  LifecycleStateInfo,
  fabricFilters,
  fabricState,
  levelDbProvider,
  ordererBlock,
  peerBlock,
} from '../test-support/index.js';

const hex = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('hex');

for (const mode of ['on the main thread', 'with a validator pool of 2 workers'] as const) {
  describe(`the Fabric v2.4.9 corpus through the committer, ${mode}`, () => {
    let dir: string;
    let provider: StateDatabaseProvider;
    let ledgers: LedgerManager;
    let channels: ChannelManager;
    let committer: Committer;
    let pool: ValidatorPool | undefined;
    const results: CommittedBlock[] = [];
    const logs = recordingLoggers();

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'committer-corpus-'));
      provider = levelDbProvider(dir);
      ledgers = await openLedgerManager({
        fileSystemPath: join(dir, 'production'),
        stateDatabaseProvider: provider,
      });
      channels = new ChannelManager({ ledgers });
      const channel = await channels.join(ordererBlock(0));
      pool = mode === 'on the main thread' ? undefined : new ValidatorPool({ size: 2 });
      committer = new Committer({
        ...(pool !== undefined ? { pool } : {}),
        channel,
        validationInfo: new LifecycleStateInfo(() => committer.bundle()),
        validationPlugin: (name) => (name === 'vscc' ? new DefaultValidation() : undefined),
        logger: logs.factory('committer'),
      });
      for (let n = 1; n < CORPUS_BLOCKS; n++)
        results[n] = await committer.commitBlock(ordererBlock(n));
    });

    after(async () => {
      committer.close();
      await pool?.close();
      channels.close();
      await ledgers.close();
      await provider.close();
      await rm(dir, { recursive: true, force: true });
    });

    it("writes Fabric's TRANSACTIONS_FILTER in every block", () => {
      const filters = fabricFilters();
      for (let n = 1; n < CORPUS_BLOCKS; n++) {
        assert.deepEqual(
          [...results[n]!.validationCodes],
          [...filters.get(n)!],
          `block ${n}: ${[...results[n]!.validationCodes].map((c) => protos.TxValidationCode[c]).join(',')}`,
        );
        const stored =
          results[n]!.block.metadata!.metadata![common.BlockMetadataIndex.TRANSACTIONS_FILTER];
        assert.deepEqual([...stored!], [...filters.get(n)!], `stored filter of block ${n}`);
      }
      assert.equal(results[85]!.validationCodes[0], protos.TxValidationCode.MVCC_READ_CONFLICT);
      assert.equal(
        results[86]!.validationCodes[0],
        protos.TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
      );
    });

    it("computes Fabric's COMMIT_HASH for every block", () => {
      for (let n = 1; n < CORPUS_BLOCKS; n++) {
        const slot = common.BlockMetadataIndex.COMMIT_HASH;
        assert.equal(
          hex(results[n]!.block.metadata!.metadata![slot]),
          hex(peerBlock(n).metadata!.metadata![slot]),
          `block ${n}`,
        );
      }
    });

    it('ends with the basic state of state.json', async () => {
      const qe = await channels.get('mychannel')!.ledger.newQueryExecutor();
      const state: Record<string, string> = {};
      try {
        for await (const kv of await qe.getStateRangeScanIterator('basic', '', '')) {
          state[kv.key] = Buffer.from(kv.value).toString('utf8');
        }
      } finally {
        qe.done();
      }
      assert.deepEqual(state, fabricState());
    });

    it('says why block 86 failed its endorsement policy', () => {
      const warned = logs.records.filter(
        (r) => r.msg === 'transaction invalid' && r.fields?.['block'] === 86,
      );
      assert.equal(warned.length, 1);
      assert.equal(warned[0]!.fields?.['code'], 'ENDORSEMENT_POLICY_FAILURE');
      assert.match(String(warned[0]!.fields?.['reason']), /endorsement policy for chaincode basic/);
    });
  });
}

describe('the corpus approvals without collection-level policies', () => {
  it('fail: one org alone cannot satisfy LifecycleEndorsement (MAJORITY of two)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'committer-corpus-'));
    const provider = levelDbProvider(dir);
    const ledgers = await openLedgerManager({
      fileSystemPath: join(dir, 'production'),
      stateDatabaseProvider: provider,
    });
    const channels = new ChannelManager({ ledgers });
    try {
      const channel = await channels.join(ordererBlock(0));
      const info = new LifecycleStateInfo(() => channel.bundle());
      // The approvals write only to their org's implicit collection, whose policy is the org's
      // Endorsement policy; without it the chaincode-level policy (LifecycleEndorsement) applies.
      const withoutCollections = {
        validationInfo: info.validationInfo.bind(info),
      };
      const committer = new Committer({
        channel,
        validationInfo: withoutCollections,
        validationPlugin: () => new DefaultValidation(),
      });
      const codes = [];
      for (let n = 1; n <= 2; n++)
        codes.push((await committer.commitBlock(ordererBlock(n))).validationCodes[0]);
      assert.deepEqual(codes, [
        protos.TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
        protos.TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
      ]);
    } finally {
      channels.close();
      await ledgers.close();
      await provider.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
