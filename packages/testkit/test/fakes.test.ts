import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeConfig, recordingLoggers, silentLoggers } from '../src/index.js';

describe('fakeConfig', () => {
  it('answers the keys it has and throws on any other', () => {
    const config = fakeConfig({ 'peer.id': 'peer0', 'peer.gossip.bootstrap': null });
    assert.equal(config.get('peer.id'), 'peer0');
    assert.equal(config.get('peer.gossip.bootstrap'), null);
    assert.throws(() => config.get('peer.address'), /unknown key peer\.address/);
    assert.throws(() => config.durationMs('peer.keepalive.interval'), /unknown key/);
  });

  it('answers durations from the values, or from durations first', () => {
    const config = fakeConfig(
      { 'a.ms': 1500, 'a.empty': null, 'a.text': '15m', 'b.text': '1s' },
      { durations: { 'a.text': 900_000, 'c.empty': null } },
    );
    assert.equal(config.durationMs('a.ms'), 1500);
    assert.equal(config.durationMs('a.empty'), null);
    assert.equal(config.durationMs('a.text'), 900_000);
    assert.equal(config.durationMs('c.empty'), null);
    assert.throws(() => config.durationMs('b.text'), /not a duration/);
  });

  it('puts core.yaml in dir, /nonexistent by default', () => {
    assert.equal(fakeConfig({}).file, '/nonexistent/core.yaml');
    const config = fakeConfig({}, { dir: '/etc/hyperledger/fabric' });
    assert.equal(config.dir, '/etc/hyperledger/fabric');
    assert.equal(config.file, '/etc/hyperledger/fabric/core.yaml');
  });
});

describe('recordingLoggers', () => {
  it('records level, module, message and fields, children under dotted names', () => {
    const { factory, logger, records } = recordingLoggers();
    const plugins = factory('core.plugins');
    plugins.info('loaded', { name: 'acme' });
    plugins.child('loader').warn('slow');
    logger.error('boom');
    logger.debug('details', { n: 1 });
    assert.deepEqual(records, [
      { level: 'info', module: 'core.plugins', msg: 'loaded', fields: { name: 'acme' } },
      { level: 'warn', module: 'core.plugins.loader', msg: 'slow' },
      { level: 'error', module: 'test', msg: 'boom' },
      { level: 'debug', module: 'test', msg: 'details', fields: { n: 1 } },
    ]);
  });

  it('silentLoggers drops everything', () => {
    const logger = silentLoggers('x');
    logger.info('nothing');
    assert.equal(logger.child('y').child('z').error('nothing'), undefined);
  });
});
