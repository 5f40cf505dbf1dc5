/** The policy manager on the corpus config: path resolution as Fabric's GetPolicy does it. */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import {
  PolicyError,
  PolicyPaths,
  bundleFromBlock,
  type ChannelConfigBundle,
  type PolicyManager,
} from '../src/index.js';
import { channelGroupJson, genesisBlockBytes, policiesJson } from '../test-support/corpus.js';
import { FakeIdentity, fakeMspFactory } from '../test-support/fakes.js';

let bundle: ChannelConfigBundle;
let root: PolicyManager;
let expected: Map<string, number>;

before(async () => {
  bundle = await bundleFromBlock(genesisBlockBytes(), { mspFactory: fakeMspFactory() });
  root = bundle.policyManager;
  expected = policiesJson(channelGroupJson());
});

const TYPE = { signature: 1, 'implicit-meta': 3, reject: 0 } as const;

void describe('policy manager on the corpus config', () => {
  void test('every policy path of the JSON resolves, with its type', () => {
    assert.ok(expected.size > 20);
    for (const [path, type] of expected) {
      const policy = root.getPolicy(path);
      assert.ok(policy, `${path} does not resolve`);
      assert.equal(policy.path, path);
      assert.equal(TYPE[policy.kind], type, path);
    }
  });

  void test('relative to the root and to sub-managers', () => {
    for (const path of expected.keys()) {
      const rel = path.slice('/Channel/'.length);
      assert.equal(root.getPolicy(rel)?.path, path);
      // from the manager of each ancestor group
      const parts = rel.split('/');
      for (let depth = 1; depth < parts.length; depth++) {
        const manager = root.manager(parts.slice(0, depth));
        assert.ok(manager, `no manager for ${parts.slice(0, depth).join('/')}`);
        assert.equal(manager.path, `Channel/${parts.slice(0, depth).join('/')}`);
        const below = parts.slice(depth).join('/');
        assert.equal(manager.getPolicy(below)?.path, path, `${below} from ${manager.path}`);
        assert.equal(
          manager.getPolicy(path)?.path,
          path.startsWith(`/${manager.path}/`) ? path : undefined,
        );
      }
    }
  });

  void test('the well-known paths exist', () => {
    for (const path of [
      PolicyPaths.ChannelReaders,
      PolicyPaths.ChannelWriters,
      PolicyPaths.ApplicationWriters,
      PolicyPaths.ApplicationReaders,
      PolicyPaths.ApplicationAdmins,
      PolicyPaths.ApplicationEndorsement,
      PolicyPaths.ApplicationLifecycleEndorsement,
      PolicyPaths.BlockValidation,
      PolicyPaths.OrdererAdmins,
    ]) {
      assert.ok(root.getPolicy(path), path);
    }
  });

  void test('an absolute path outside the manager does not resolve', () => {
    const app = root.manager(['Application']);
    assert.ok(app);
    assert.equal(app.getPolicy('/Channel/Orderer/BlockValidation'), undefined);
    assert.equal(
      app.getPolicy('/Channel/Application/Writers')?.path,
      '/Channel/Application/Writers',
    );
  });

  void test("Fabric's prefix check: '/ChannelX/...' skips one character after the manager path", () => {
    // Fabric checks the prefix "/Channel" and cuts one more byte, whatever it is.
    assert.equal(
      root.getPolicy('/ChannelXApplication/Writers')?.path,
      '/Channel/Application/Writers',
    );
    assert.equal(root.getPolicy('/Channel'), undefined); // Go would panic slicing this
    assert.equal(root.getPolicy('/Channel/'), undefined);
    assert.equal(root.getPolicy(''), undefined);
  });

  void test('missing policies: requirePolicy names the path; policyOrReject rejects as Fabric', async () => {
    assert.throws(
      () => root.requirePolicy('/Channel/Application/Org3MSP/Admins'),
      (err) => {
        assert.ok(err instanceof PolicyError);
        assert.equal(err.code, 'POLICY_NOT_FOUND');
        assert.equal(
          err.message,
          "policy /Channel/Application/Org3MSP/Admins not found: no policy 'Application/Org3MSP/Admins' under /Channel",
        );
        return true;
      },
    );
    assert.throws(
      () => root.manager(['Orderer'])?.requirePolicy('/Channel/Application/Writers'),
      /policy \/Channel\/Application\/Writers not found: an absolute path must start with \/Channel\/Orderer\//,
    );
    assert.throws(() => root.requirePolicy('Nope'), /policy \/Channel\/Nope not found/);
    const reject = root.policyOrReject('/Channel/Application/Nope');
    assert.equal(reject.kind, 'reject');
    await assert.rejects(
      reject.evaluateSignedData([]),
      /^PolicyError: no such policy: 'Application\/Nope'$/,
    );
    await assert.rejects(
      root.policyOrReject('/Elsewhere/Nope').evaluateSignedData([]),
      /no such policy: '\/Elsewhere\/Nope'/,
    );
    assert.equal(root.manager(['Application', 'Org3MSP']), undefined);
  });

  void test('corpus policies evaluate with the channel MSPs', async () => {
    const message = new Uint8Array([1, 2, 3]);
    const org1Admin = new FakeIdentity({ mspId: 'Org1MSP', name: 'admin1', roles: ['ADMIN'] });
    const org2Admin = new FakeIdentity({ mspId: 'Org2MSP', name: 'admin2', roles: ['ADMIN'] });
    const org1Client = new FakeIdentity({ mspId: 'Org1MSP', name: 'user1', roles: ['CLIENT'] });
    const org2Peer = new FakeIdentity({ mspId: 'Org2MSP', name: 'peer2', roles: ['PEER'] });
    const orderer = new FakeIdentity({ mspId: 'OrdererMSP', name: 'orderer', roles: ['ORDERER'] });

    await root
      .requirePolicy(PolicyPaths.ApplicationWriters)
      .evaluateSignedData([org1Client.signed(message)]);
    await assert.rejects(
      root
        .requirePolicy(PolicyPaths.ApplicationWriters)
        .evaluateSignedData([org2Peer.signed(message)]),
      /0 sub-policies were satisfied, but this policy requires 1 of the 'Writers'/,
    );
    // MAJORITY of 2 orgs = both
    const admins = root.requirePolicy(PolicyPaths.ApplicationAdmins);
    await assert.rejects(admins.evaluateSignedData([org1Admin.signed(message)]), /requires 2/);
    await admins.evaluateSignedData([org1Admin.signed(message), org2Admin.signed(message)]);
    // block validation: any orderer org member
    await root
      .requirePolicy(PolicyPaths.BlockValidation)
      .evaluateSignedData([orderer.signed(message)]);
    await assert.rejects(
      root
        .requirePolicy(PolicyPaths.BlockValidation)
        .evaluateSignedData([org1Admin.signed(message)]),
    );
  });
});
