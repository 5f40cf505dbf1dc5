// `fabric-peer chaincode invoke|query` and `dev up`, in process: argument forms and the errors a
// user meets before any network answers (test/suites/dev-network.test.ts runs them for real).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '@fabric-peer/testkit';
import { ChaincodeCommandError, parseCallArgs } from '../src/chaincode.js';
import { main, type Io } from '../src/main.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t), env: {} };
  const code = await main(['node', 'fabric-peer', ...args], io);
  return { code, out, err };
}

describe('chaincode arguments', () => {
  it('takes --args as a JSON array, function first', () => {
    assert.deepEqual(parseCallArgs({ args: '["CreateAsset","asset7","red","5","Tom","100"]' }), [
      'CreateAsset',
      'asset7',
      'red',
      '5',
      'Tom',
      '100',
    ]);
    // Numbers and booleans become their text, which is what the chaincode receives anyway.
    assert.deepEqual(parseCallArgs({ args: '["UpdateAsset","a",5,true]' }), [
      'UpdateAsset',
      'a',
      '5',
      'true',
    ]);
  });

  it("takes Fabric's -c forms, keys in any case", () => {
    assert.deepEqual(parseCallArgs({ ctor: '{"Args":["ReadAsset","asset1"]}' }), [
      'ReadAsset',
      'asset1',
    ]);
    assert.deepEqual(parseCallArgs({ ctor: '{"function":"TransferAsset","Args":["a","Bob"]}' }), [
      'TransferAsset',
      'a',
      'Bob',
    ]);
    assert.deepEqual(parseCallArgs({ ctor: '{"args":["GetAllAssets"]}' }), ['GetAllAssets']);
    assert.deepEqual(parseCallArgs({ ctor: '{"Function":"InitLedger"}' }), ['InitLedger']);
  });

  it('says what is wrong with the arguments', () => {
    const cases: [{ args?: string; ctor?: string }, RegExp][] = [
      [{}, /the chaincode arguments are required: --args/],
      [{ args: '["a"]', ctor: '{"Args":["a"]}' }, /--args or -c, not both/],
      [{ args: '[]' }, /must start with the function name/],
      [{ args: '[""]' }, /must start with the function name/],
      [{ args: '{"Args":["a"]}' }, /--args: expected a JSON array of strings/],
      [{ args: '["a",null]' }, /--args\[1\]: expected a string, got null/],
      [{ args: '["a",' }, /--args: not JSON/],
      [{ ctor: '["a"]' }, /-c: expected an object such as/],
      [{ ctor: '{"Args":"a"}' }, /-c Args: expected a JSON array of strings/],
      [{ ctor: '{"function":1}' }, /-c: "function" must be a string/],
    ];
    for (const [input, message] of cases) {
      assert.throws(
        () => parseCallArgs(input),
        (err: unknown) => err instanceof ChaincodeCommandError && message.test(err.message),
        JSON.stringify(input),
      );
    }
  });
});

describe('fabric-peer chaincode / dev up (in process)', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-chaincode-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('tells the user to start a network when the folder has none', async () => {
    const r = await run([
      'chaincode',
      'query',
      '--channel',
      'mychannel',
      '--name',
      'basic',
      '--args',
      '["GetAllAssets"]',
      '--dir',
      join(dir, 'none'),
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /^Error: .*\/none\/connection\.json: not found: no development network there; start one with `fabric-peer dev up`/,
    );
    assert.equal(r.out, '');
  });

  it('says the peer is not reachable when the network is not running', async () => {
    const net = join(dir, 'stopped');
    await mkdir(net);
    await writeFile(join(net, 'cert.pem'), 'unused');
    await writeFile(join(net, 'key.pem'), 'unused');
    const port = await freePort();
    await writeFile(
      join(net, 'connection.json'),
      JSON.stringify({
        peerAddress: `127.0.0.1:${port}`,
        tls: false,
        mspId: 'Org1MSP',
        identity: 'User1',
        certPath: 'cert.pem',
        keyPath: 'key.pem',
        channel: 'mychannel',
        chaincode: 'basic',
      }),
    );
    const r = await run([
      'chaincode',
      'invoke',
      '-C',
      'mychannel',
      '-n',
      'basic',
      '-c',
      '{"Args":["InitLedger"]}',
      '--dir',
      net,
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      new RegExp(
        `^Error: cannot connect to the peer at 127\\.0\\.0\\.1:${port} within 5 s: is \`fabric-peer dev up\` running\\?\\n$`,
      ),
    );
  });

  it('lists the argument forms in --help', async () => {
    const r = await run(['chaincode', 'invoke', '--help']);
    assert.equal(r.code, 0);
    for (const flag of [
      '-C, --channel <name>',
      '-n, --name <chaincode>',
      '--args <json>',
      '-c, --ctor <json>',
      '--dir <dir>',
    ]) {
      assert.ok(r.out.includes(flag), flag);
    }
  });

  it('dev up refuses a bad port and a folder that is not a development network', async () => {
    const bad = await run(['dev', 'up', '--dir', join(dir, 'x'), '--peer-port', '70000']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^Error: --peer-port: expected a port from 1 to 65535, got "70000"\n$/);

    const foreign = join(dir, 'foreign');
    await mkdir(foreign);
    await writeFile(join(foreign, 'thesis.tex'), '');
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    const r = await run([
      'dev',
      'up',
      '--dir',
      foreign,
      '--orderer-port',
      String(ports[0]),
      '--peer-port',
      String(ports[1]),
      '--chaincode-port',
      String(ports[2]),
      '--operations-port',
      String(ports[3]),
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /^Error: .*\/foreign is not empty and holds no devnet\.json, so it is not a development network \(found thesis\.tex\)/,
    );
    assert.equal(r.out, '');
  });
});
