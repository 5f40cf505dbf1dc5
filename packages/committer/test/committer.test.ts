/**
 * The committer as its callers see it: blocks handed over at once commit one after the other in
 * the order given, a refused block lets the next attempt through, Fabric's metrics are recorded,
 * a closed committer refuses blocks, and the signatures it checks are not remembered.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Counter, Gauge, Histogram, MetricLabels, MetricsProvider } from '@fabric-peer/api';

import { common, protos } from '@fabric-peer/protos';
import { recordingLoggers } from '@fabric-peer/testkit';
import { CommitterError } from '../src/index.js';
import {
  codeNames,
  defineChaincode,
  endorserTx,
  heightOf,
  openCommitterFixture,
  policyReference,
  rwsetOf,
  type CommitterFixture,
} from '../test-support/index.js';

/** Keeps every histogram observation by metric name. */
function recordingMetrics(): MetricsProvider & {
  observed: Map<string, { value: number; labels?: MetricLabels }[]>;
} {
  const observed = new Map<string, { value: number; labels?: MetricLabels }[]>();
  const none: Counter & Gauge = { add: () => undefined, set: () => undefined };
  return {
    observed,
    newCounter: () => none,
    newGauge: () => none,
    newHistogram(opts): Histogram {
      const name = [opts.namespace, opts.subsystem, opts.name].filter(Boolean).join('_');
      observed.set(name, []);
      return {
        observe: (value, labels) =>
          observed.get(name)!.push({ value, ...(labels !== undefined ? { labels } : {}) }),
      };
    },
  };
}

/** A transaction of User1 endorsed by Org1's peer, writing `key` in `mycc`. */
function writeTx(f: CommitterFixture, key: string) {
  return endorserTx({
    channelId: f.net.channelId,
    creator: f.net.identities.user,
    endorsers: [f.net.identities.peer],
    chaincode: 'mycc',
    results: rwsetOf({ namespace: 'mycc', writes: [{ key, value: Uint8Array.of(1) }] }),
  });
}

describe('committer', () => {
  let f: CommitterFixture;
  const metrics = recordingMetrics();

  before(async () => {
    f = await openCommitterFixture({ committer: () => ({ metrics }) });
    await defineChaincode(f, 'mycc', policyReference('/Channel/Application/Endorsement'));
  });
  after(() => f.close());

  const tx = async (key: string) => (await writeTx(f, key)).envelope;

  it('commits blocks handed over together one after the other, in order', async () => {
    const blocks = [];
    for (let i = 0; i < 4; i++) blocks.push(await f.blocks.next([await tx(`k${i}`)]));
    const start = heightOf(f);
    const done = await Promise.all(blocks.map((b) => f.committer.commitBlock(b)));
    assert.deepEqual(
      done.map((d) => d.blockNumber),
      [start, start + 1, start + 2, start + 3],
    );
    assert.ok(done.every((d) => codeNames(d.validationCodes).join() === 'VALID'));
  });

  it('lets the next block through after one is refused', async () => {
    const bad = await f.blocks.make([await tx('x')], { signer: null });
    const good = await f.blocks.make([await tx('y')]);
    f.blocks.chain(good);
    const [refused, committed] = await Promise.allSettled([
      f.committer.commitBlock(bad),
      f.committer.commitBlock(good),
    ]);
    assert.equal(refused.status, 'rejected');
    assert.equal(committed.status, 'fulfilled');
  });

  it("records Fabric's validation, commit and purge durations by channel", () => {
    for (const name of [
      'gossip_privdata_validation_duration',
      'gossip_privdata_commit_block_duration',
    ]) {
      const seen = metrics.observed.get(name);
      assert.ok(seen !== undefined && seen.length >= 5, name);
      assert.deepEqual(seen[0]!.labels, { channel: 'mychannel' });
      assert.ok(seen.every((o) => o.value >= 0 && o.value < 60));
    }
    assert.ok(metrics.observed.has('gossip_privdata_purge_duration'));
  });

  it('creates one validation plugin for the channel and keeps it', () => {
    assert.equal(f.pluginsMade(), 1);
  });

  it('refuses blocks once closed', async () => {
    f.committer.close();
    const block = await f.blocks.make([await tx('z')]);
    await assert.rejects(f.committer.commitBlock(block), (err: unknown) => {
      assert.ok(err instanceof CommitterError);
      assert.equal(err.code, 'COMMITTER_CLOSED');
      return true;
    });
  });
});

describe('committer on a remote state database', () => {
  it('validates and commits a block whose bulk load before validation failed, and says so', async () => {
    const logs = recordingLoggers();
    const failures = { bulkLoads: 0 };
    const f = await openCommitterFixture({
      database: 'leveldb-as-remote',
      failures,
      logger: logs.logger,
    });
    try {
      await defineChaincode(f, 'mycc', policyReference('/Channel/Application/Endorsement'));
      // The committer's load before validation fails; the ledger's for MVCC works.
      failures.bulkLoads = 1;
      const { envelope } = await writeTx(f, 'k');
      const done = await f.committer.commitBlock(await f.blocks.next([envelope]));
      assert.deepEqual(codeNames(done.validationCodes), ['VALID']);
      assert.equal(failures.bulkLoads, 0);
      assert.ok(
        logs.records.some(
          (r) => r.level === 'warn' && r.msg === 'could not preload the state the block touches',
        ),
        JSON.stringify(logs.records.filter((r) => r.level === 'warn')),
      );
    } finally {
      await f.close();
    }
  });
});

describe('signatures checked in validation', () => {
  it('are not kept in the channel MSP’s verified-signature cache', async () => {
    const f = await openCommitterFixture({ verifiedSignatures: 64 });
    try {
      await defineChaincode(f, 'mycc', policyReference('/Channel/Application/Endorsement'));
      const { envelope } = await writeTx(f, 'k');
      const done = await f.committer.commitBlock(await f.blocks.next([envelope]));
      assert.deepEqual(codeNames(done.validationCodes), ['VALID']);

      // The creator's and the endorser's signatures, checked again as an ACL would: each is
      // verified anew, none answered from what validation saw.
      const env = common.Envelope.decode(envelope);
      const payload = common.Payload.decode(env.payload);
      const header = common.SignatureHeader.decode(payload.header!.signatureHeader!);
      const action = protos.ChaincodeActionPayload.decode(
        protos.Transaction.decode(payload.data).actions[0]!.payload!,
      ).action!;
      const endorsement = action.endorsements![0]!;
      const endorser = endorsement.endorser!;
      const message = new Uint8Array([...action.proposalResponsePayload!, ...endorser]);
      const deserializer = f.committer.bundle().deserializer;
      const hits = f.signatureCacheHits('Org1MSP');
      const verified = f.signaturesVerified('Org1MSP');
      await deserializer.deserializeIdentity(header.creator).verify(env.payload, env.signature);
      await deserializer.deserializeIdentity(endorser).verify(message, endorsement.signature!);
      assert.equal(f.signatureCacheHits('Org1MSP'), hits);
      assert.equal(f.signaturesVerified('Org1MSP') - verified, 2);
    } finally {
      await f.close();
    }
  });
});
