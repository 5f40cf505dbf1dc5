/** core.yaml keys → ChaincodeSettings, with Fabric's floors and derived chaincode address. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeConfig } from '@fabric-peer/testkit';
import { chaincodeSettings } from '../src/settings.js';
import { HandlerRegistry } from '../src/registry.js';

const base = {
  'chaincode.startuptimeout': 300_000,
  'chaincode.executetimeout': 30_000,
  'chaincode.installTimeout': 300_000,
  'chaincode.keepalive': 0,
  'chaincode.mode': 'net',
  'chaincode.logging.level': 'info',
  'chaincode.logging.shim': 'warning',
  'chaincode.logging.format': '%{message}',
  'peer.chaincodeAddress': null,
  'peer.chaincodeListenAddress': null,
  'peer.address': 'peer0.org1:7051',
  'peer.tls.enabled': false,
  'ledger.state.totalQueryLimit': 100000,
  'ledger.history.enableHistoryDatabase': true,
};

describe('chaincodeSettings', () => {
  it('reads the defaults', () => {
    const s = chaincodeSettings(fakeConfig(base));
    assert.equal(s.startupTimeoutMs, 300_000);
    assert.equal(s.executeTimeoutMs, 30_000);
    assert.equal(s.keepaliveMs, 0);
    assert.equal(s.devMode, false);
    assert.equal(s.peerAddress, 'peer0.org1:7052');
    assert.equal(s.totalQueryLimit, 100000);
    assert.deepEqual(s.logging, { level: 'info', shim: 'warning', format: '%{message}' });
  });

  it("applies Fabric's floors and conversions", () => {
    const s = chaincodeSettings(
      fakeConfig({
        ...base,
        'chaincode.startuptimeout': 1000,
        'chaincode.executetimeout': 500,
        'chaincode.keepalive': 30,
        'chaincode.mode': 'dev',
        'peer.tls.enabled': true,
        'ledger.history.enableHistoryDatabase': false,
      }),
    );
    assert.equal(s.startupTimeoutMs, 5000, 'at least 5 s');
    assert.equal(s.executeTimeoutMs, 30_000, 'below 1 s means 30 s');
    assert.equal(s.keepaliveMs, 30_000);
    assert.equal(s.devMode, true);
    assert.equal(s.tlsEnabled, true);
    assert.equal(s.historyEnabled, false);
  });

  it('derives the chaincode address as Fabric does', () => {
    assert.equal(
      chaincodeSettings(fakeConfig({ ...base, 'peer.chaincodeAddress': 'cc.example:9999' }))
        .peerAddress,
      'cc.example:9999',
    );
    assert.equal(
      chaincodeSettings(fakeConfig({ ...base, 'peer.chaincodeListenAddress': '0.0.0.0:7060' }))
        .peerAddress,
      'peer0.org1:7060',
    );
    assert.equal(
      chaincodeSettings(fakeConfig({ ...base, 'peer.chaincodeListenAddress': '10.0.0.5:7060' }))
        .peerAddress,
      '10.0.0.5:7060',
    );
  });
});

describe('HandlerRegistry launch states', () => {
  it('shares one launch between callers and forgets a failed one', async () => {
    const r = new HandlerRegistry(false);
    const a = r.launching('cc:1');
    const b = r.launching('cc:1');
    assert.equal(a.started, false);
    assert.equal(b.started, true);
    assert.equal(a.state, b.state);
    r.abandon('cc:1', a.state, new Error('nope'));
    await assert.rejects(b.state.done, /nope/);
    assert.equal(r.launching('cc:1').started, false, 'a new launch after a failure');
  });
});
