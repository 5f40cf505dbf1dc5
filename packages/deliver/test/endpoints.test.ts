import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { common } from '@fabric-peer/protos';
import { bundleFromBlock, type OrdererEndpoints } from '@fabric-peer/policies';
import { recordingLoggers } from '@fabric-peer/testkit';
import { ChannelOrderers, OrdererConnectionSource, shuffled } from '../src/endpoints.js';
import { DeliverError } from '../src/errors.js';
import { makeOrdererNetwork, type OrdererNetwork } from '../test-support/index.js';

const enc = new TextEncoder();
const rootA = enc.encode('root-of-org-A');
const rootB = enc.encode('root-of-org-B');

function endpoints(
  global: readonly string[],
  orgs: Record<string, { addresses: readonly string[]; rootCerts: readonly Uint8Array[] }>,
): OrdererEndpoints {
  return {
    global,
    orgs: new Map(Object.entries(orgs).map(([name, o]) => [name, { mspId: `${name}MSP`, ...o }])),
  };
}

function view(source: OrdererConnectionSource): { address: string; roots: string[] }[] {
  return source
    .endpoints()
    .map((e) => ({ address: e.address, roots: e.rootCerts.map((c) => Buffer.from(c).toString()) }))
    .sort((a, b) => a.address.localeCompare(b.address));
}

describe('orderer connection source', () => {
  it('uses per-org endpoints with their own org roots, ignoring global addresses', () => {
    const { logger, records } = recordingLoggers();
    const source = new OrdererConnectionSource(new Map(), logger);
    assert.equal(
      source.update(
        endpoints(['global:7050'], {
          A: { addresses: ['a1:7050', 'a2:7050'], rootCerts: [rootA] },
          B: { addresses: ['b1:7050'], rootCerts: [rootB] },
        }),
      ),
      true,
    );
    assert.deepEqual(view(source), [
      { address: 'a1:7050', roots: ['root-of-org-A'] },
      { address: 'a2:7050', roots: ['root-of-org-A'] },
      { address: 'b1:7050', roots: ['root-of-org-B'] },
    ]);
    assert.ok(
      records.some((r) => r.level === 'warn' && r.msg.includes('global endpoints will be ignored')),
    );
  });

  it('falls back to global addresses with the roots of every orderer org', () => {
    const source = new OrdererConnectionSource();
    source.update(
      endpoints(['g1:7050', 'g2:7050'], {
        A: { addresses: [], rootCerts: [rootA] },
        B: { addresses: [], rootCerts: [rootB] },
      }),
    );
    assert.deepEqual(view(source), [
      { address: 'g1:7050', roots: ['root-of-org-A', 'root-of-org-B'] },
      { address: 'g2:7050', roots: ['root-of-org-A', 'root-of-org-B'] },
    ]);
  });

  it('applies address overrides, with their own roots', () => {
    const overrides = new Map([
      ['a1:7050', { address: 'proxy:9000', rootCerts: [enc.encode('proxy-root')] }],
    ]);
    const source = new OrdererConnectionSource(overrides);
    source.update(endpoints([], { A: { addresses: ['a1:7050', 'a2:7050'], rootCerts: [rootA] } }));
    assert.deepEqual(view(source), [
      { address: 'a2:7050', roots: ['root-of-org-A'] },
      { address: 'proxy:9000', roots: ['proxy-root'] },
    ]);
    const global = new OrdererConnectionSource(
      new Map([['g:1', { address: 'h:2', rootCerts: [] }]]),
    );
    global.update(endpoints(['g:1'], { A: { addresses: [], rootCerts: [rootA] } }));
    assert.deepEqual(view(global), [{ address: 'h:2', roots: [] }]);
  });

  it('refreshes endpoints only when addresses or roots change', () => {
    const source = new OrdererConnectionSource();
    const first = endpoints([], { A: { addresses: ['a1:7050'], rootCerts: [rootA] } });
    source.update(first);
    const held = source.randomEndpoint();
    // The same configuration again (a new bundle with the same endpoints): nothing happens.
    assert.equal(
      source.update(endpoints([], { A: { addresses: ['a1:7050'], rootCerts: [rootA] } })),
      false,
    );
    assert.equal(held.refreshed.aborted, false);
    // A new root for the same address is a change.
    assert.equal(
      source.update(endpoints([], { A: { addresses: ['a1:7050'], rootCerts: [rootB] } })),
      true,
    );
    assert.equal(held.refreshed.aborted, true);
    const second = source.randomEndpoint();
    // An org removed is a change.
    assert.equal(source.update(endpoints(['g:1'], {})), true);
    assert.equal(second.refreshed.aborted, true);
    assert.deepEqual(view(source), [{ address: 'g:1', roots: [] }]);
    // Global addresses: same set, no change; another address, a change.
    const third = source.randomEndpoint();
    assert.equal(source.update(endpoints(['g:1'], {})), false);
    assert.equal(source.update(endpoints(['g:2'], {})), true);
    assert.equal(third.refreshed.aborted, true);
  });

  it('picks endpoints at random and says when there is none', () => {
    const source = new OrdererConnectionSource();
    assert.throws(
      () => source.randomEndpoint(),
      (err: unknown) =>
        err instanceof DeliverError &&
        err.code === 'NO_ENDPOINTS' &&
        err.message === 'no endpoints currently defined',
    );
    source.update(endpoints([], { A: { addresses: ['a:1', 'b:1', 'c:1'], rootCerts: [] } }));
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(source.randomEndpoint().address);
    assert.deepEqual([...seen].sort(), ['a:1', 'b:1', 'c:1']);
    const orders = new Set<string>();
    for (let i = 0; i < 200; i++) orders.add(shuffled(['a', 'b', 'c']).join(''));
    assert.equal(orders.size, 6);
  });
});

describe('channel orderers over real channel configurations', () => {
  let per: OrdererNetwork;
  let global: OrdererNetwork;
  before(async () => {
    per = await makeOrdererNetwork({ addresses: ['127.0.0.1:7050', '127.0.0.1:8050'] });
    global = await makeOrdererNetwork({ addresses: ['127.0.0.1:9050'], globalAddresses: true });
  });
  after(async () => {
    await per.dispose();
    await global.dispose();
  });

  it('reads per-org endpoints and the orderer org TLS CA from the bundle', async () => {
    const bundle = await bundleFromBlock(common.Block.decode(per.genesis));
    const orderers = new ChannelOrderers();
    const source = orderers.sourceFor({ id: per.channelId, bundle: () => bundle });
    const all = source.endpoints();
    assert.deepEqual(all.map((e) => e.address).sort(), ['127.0.0.1:7050', '127.0.0.1:8050']);
    for (const e of all) {
      assert.ok(e.rootCerts.some((c) => Buffer.from(c).equals(per.ordererTlsCa)));
    }
    // The same bundle again: the same source, endpoints not refreshed.
    assert.equal(orderers.sourceFor({ id: per.channelId, bundle: () => bundle }), source);
    assert.equal(all[0]!.refreshed.aborted, false);
  });

  it('reads global addresses when the orderer org lists none', async () => {
    const bundle = await bundleFromBlock(common.Block.decode(global.genesis));
    const source = new ChannelOrderers().sourceFor({ id: global.channelId, bundle: () => bundle });
    const all = source.endpoints();
    assert.deepEqual(
      all.map((e) => e.address),
      ['127.0.0.1:9050'],
    );
    assert.ok(all[0]!.rootCerts.some((c) => Buffer.from(c).equals(global.ordererTlsCa)));
  });
});
