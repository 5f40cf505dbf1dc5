/**
 * With `ledger.state.stateDatabase: CouchDB` the peer loads the CouchDB plugin, opens its ledgers
 * on the server, and /healthz asks the server: 200 while it answers, 503 naming `couchdb` and its
 * address when it is gone. With LevelDB there is no such checker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  httpRequest as http,
  startPouchDbServer,
  type TestCouchServer,
} from '@fabric-peer/testkit';
import { sampleConfig } from '../helpers/paths.js';
import { PeerProcess, portEnv, runCli } from '../helpers/peer-process.js';

describe('a peer on CouchDB', () => {
  let couch: TestCouchServer;
  let peer: PeerProcess;
  let ops: string;

  before(async () => {
    couch = await startPouchDbServer();
    const { env, ports } = await portEnv();
    ops = `http://127.0.0.1:${ports.operations}`;
    peer = PeerProcess.run(['start', '--config', sampleConfig], {
      ...env,
      CORE_LEDGER_STATE_STATEDATABASE: 'CouchDB',
      CORE_LEDGER_STATE_COUCHDBCONFIG_COUCHDBADDRESS: couch.address,
      CORE_LEDGER_STATE_COUCHDBCONFIG_MAXRETRIES: '1',
      CORE_LEDGER_STATE_COUCHDBCONFIG_REQUESTTIMEOUT: '2s',
    });
    await peer.waitFor(/peer started/);
  });

  after(async () => {
    peer.kill();
    await couch.stop();
  });

  it('opens its ledgers on CouchDB and lists the couchdb health checker', async () => {
    assert.match(peer.text(), /ledgers ready stateDatabase=CouchDB/);
    const { out } = await runCli(['plugins', '--config', sampleConfig], {
      CORE_LEDGER_STATE_STATEDATABASE: 'CouchDB',
    });
    assert.match(out, /health checker\n {2}available:\n {4}couchdb +@fabric-peer\/statedb-couchdb/);
  });

  it('answers /healthz 200 while CouchDB answers, 503 naming couchdb when it is gone', async () => {
    assert.equal((await http(`${ops}/healthz`)).status, 200);
    await couch.stop();
    const down = await http(`${ops}/healthz`);
    assert.equal(down.status, 503);
    const body = JSON.parse(down.body) as {
      failed_checks: { component: string; reason: string }[];
    };
    assert.equal(body.failed_checks.length, 1);
    assert.equal(body.failed_checks[0]!.component, 'couchdb');
    assert.match(body.failed_checks[0]!.reason, new RegExp(couch.address.replace(/\./g, '\\.')));
  });

  it('stops cleanly although CouchDB is gone', async () => {
    assert.equal((await peer.terminate()).code, 0);
  });
});

describe('a peer on LevelDB', () => {
  it('has no couchdb health checker', async () => {
    const { out } = await runCli(['plugins', '--config', sampleConfig]);
    assert.match(out, /health checker\n {2}available: none/);
    assert.doesNotMatch(out, /statedb-couchdb/);
  });
});
