import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { containerName, DockerRuntimeError, imageName } from '../src/index.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

// The cases of Fabric's dockercontroller_test.go (TestGetVMNameForDocker, TestGetVMName).
describe('image names, as Fabric derives them', () => {
  const cases: [string, { networkId: string; peerId: string }, string, string][] = [
    [
      'mycc',
      { networkId: 'dev', peerId: 'peer0' },
      'mycc:1.0',
      `dev-peer0-mycc-1.0-${sha('dev-peer0-mycc-1.0')}`,
    ],
    [
      'no network id',
      { networkId: '', peerId: 'peer1' },
      'mycc:1.0',
      `peer1-mycc-1.0-${sha('peer1-mycc-1.0')}`,
    ],
    [
      'upper-case ids',
      { networkId: 'Dev', peerId: 'Peer0' },
      'myCC:1.0',
      `dev-peer0-mycc-1.0-${sha('Dev-Peer0-myCC-1.0')}`,
    ],
    [
      'special characters',
      { networkId: 'Dev$dev', peerId: 'Peer*0' },
      'myCC:1.0',
      `dev-dev-peer-0-mycc-1.0-${sha('Dev$dev-Peer*0-myCC-1.0')}`,
    ],
    [
      'no peer id',
      { networkId: 'dev', peerId: '' },
      'mycc:1.0',
      `dev-mycc-1.0-${sha('dev-mycc-1.0')}`,
    ],
    [
      'lower-cased ccid',
      { networkId: 'dev', peerId: 'peer0' },
      'myCC:1.0',
      `dev-peer0-mycc-1.0-${sha('dev-peer0-myCC-1.0')}`,
    ],
  ];
  for (const [name, scope, ccid, expected] of cases) {
    it(name, () => assert.equal(imageName(scope, ccid), expected));
  }

  it('names a 2.x package ID (label:sha256)', () => {
    const ccid = `basic_1.0:${'ab'.repeat(32)}`;
    assert.equal(
      imageName({ networkId: 'dev', peerId: 'peer0.org1.example.com' }, ccid),
      `dev-peer0.org1.example.com-basic_1.0-${'ab'.repeat(32)}-${sha(`dev-peer0.org1.example.com-basic_1.0-${'ab'.repeat(32)}`)}`,
    );
  });

  it('refuses a name that breaks Docker’s rule, in Fabric’s words', () => {
    assert.throws(
      () => imageName({ networkId: '', peerId: '' }, '-bad'),
      (err: unknown) =>
        err instanceof DockerRuntimeError &&
        err.code === 'DOCKER_INVALID_NAME' &&
        /Error constructing Docker VM Name\. '-bad-[0-9a-f]{64}' breaks Docker's repository naming rules/.test(
          err.message,
        ),
    );
  });
});

describe('container names, as Fabric derives them', () => {
  it('keeps the case and replaces invalid characters', () => {
    assert.equal(
      containerName({ networkId: 'Dev', peerId: 'Peer0' }, 'myCC:1.0'),
      'Dev-Peer0-myCC-1.0',
    );
    assert.equal(containerName({ networkId: 'a b', peerId: 'p/1' }, 'cc:x+y'), 'a-b-p-1-cc-x-y');
  });
});
