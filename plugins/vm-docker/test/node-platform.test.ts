import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { DockerRuntimeError } from '../src/index.js';
import {
  dockerfile,
  missingDependencies,
  PRELOAD_PATH,
  readNodeCode,
  splitCommand,
  startCommand,
  type NodeCode,
} from '../src/node-platform.js';
import { tarBuffer } from '../src/tar.js';
import { makeChaincodePackage, shimChaincode } from '../test-support/index.js';

function code(packageJson: Record<string, unknown>, files: string[] = []): NodeCode {
  const map = new Map<string, Buffer>(files.map((f) => [f, Buffer.alloc(0)]));
  map.set('package.json', Buffer.from(JSON.stringify(packageJson)));
  return { files: map, packageJson };
}

function invalidPackage(err: unknown, pattern: RegExp): boolean {
  return (
    err instanceof DockerRuntimeError &&
    err.code === 'DOCKER_INVALID_PACKAGE' &&
    pattern.test(err.message)
  );
}

describe('start command (npm start without npm)', () => {
  it('runs fabric-chaincode-node start as the vendored shim’s cli.js', () => {
    const s = startCommand(
      'cc:1',
      code({ scripts: { start: 'fabric-chaincode-node start --module-path .' } }),
    );
    assert.deepEqual(s.argv, [
      'node',
      '--require',
      PRELOAD_PATH,
      '/usr/local/node_modules/fabric-shim/cli.js',
      'start',
      '--module-path',
      '.',
    ]);
    assert.deepEqual(s.env, []);
  });

  it('prefers the fabric-shim the package brings', () => {
    const s = startCommand(
      'cc:1',
      code({ scripts: { start: './node_modules/.bin/fabric-chaincode-node start' } }, [
        'node_modules/fabric-shim/cli.js',
      ]),
    );
    assert.equal(s.argv[3], '/usr/local/src/node_modules/fabric-shim/cli.js');
  });

  it('keeps node options, arguments, quotes and leading assignments', () => {
    const s = startCommand(
      'cc:1',
      code({
        scripts: {
          start: `NODE_ENV=production node --max-old-space-size=256 "dist/my cc.js" 'a b'`,
        },
      }),
    );
    assert.deepEqual(s.argv, [
      'node',
      '--require',
      PRELOAD_PATH,
      '--max-old-space-size=256',
      'dist/my cc.js',
      'a b',
    ]);
    assert.deepEqual(s.env, ['NODE_ENV=production']);
  });

  it('falls back to node server.js as npm does', () => {
    assert.deepEqual(startCommand('cc:1', code({}, ['server.js'])).argv.slice(3), ['server.js']);
  });

  it('refuses what needs a shell or npm, saying what is supported', () => {
    for (const start of [
      'tsc && node dist/index.js',
      'npm run serve',
      'node $MAIN',
      'node index.js > log',
      'node',
    ]) {
      assert.throws(
        () => startCommand('cc:1', code({ scripts: { start } })),
        (err) => invalidPackage(err, /is not supported: .*fabric-chaincode-node start/),
        start,
      );
    }
    assert.throws(
      () => startCommand('cc:1', code({ name: 'x' })),
      (err) => invalidPackage(err, /package\.json has no scripts\.start/),
    );
  });

  it('splits like a shell for the plain forms', () => {
    assert.deepEqual(splitCommand(`  a  'b c'  "d"e  `), ['a', 'b c', 'de']);
    assert.equal(splitCommand(`a "b`), undefined);
    assert.equal(splitCommand('a | b'), undefined);
  });
});

describe('dependencies', () => {
  it('are satisfied by the vendored modules or the package’s own node_modules', () => {
    const c = code({ dependencies: { 'fabric-shim': '^2', lodash: '4', 'left-pad': '1' } }, [
      'node_modules/lodash/package.json',
    ]);
    assert.deepEqual(missingDependencies(c, new Set(['fabric-shim', 'fabric-contract-api'])), [
      'left-pad',
    ]);
  });
});

describe('code archive', () => {
  it('reads src/ of a package made by the tar package', async () => {
    const pkg = await makeChaincodePackage(shimChaincode('echo'));
    const c = await readNodeCode(pkg.packageId, pkg.codeArchive);
    assert.deepEqual([...c.files.keys()].sort(), ['index.js', 'package.json']);
    assert.equal(c.packageJson['name'], 'echo');
  });

  it('refuses a package without src/package.json, in Fabric’s words', async () => {
    const archive = gzipSync(
      await tarBuffer([{ type: 'file', path: 'src/index.js', data: Buffer.from('') }]),
    );
    await assert.rejects(readNodeCode('cc:1', archive), (err) =>
      invalidPackage(err, /no package\.json found at the root of the chaincode package/),
    );
  });

  it('refuses bytes that are not an archive, and a package.json that is not JSON', async () => {
    await assert.rejects(
      readNodeCode('cc:1', Buffer.from('not a tar at all, not even close'.repeat(40))),
      (err) => invalidPackage(err, /code\.tar\.gz is not a readable tar archive|no package\.json/),
    );
    const archive = await tarBuffer([
      { type: 'file', path: 'src/package.json', data: Buffer.from('{oops') },
    ]);
    await assert.rejects(readNodeCode('cc:1', archive), (err) =>
      invalidPackage(err, /src\/package\.json is not valid JSON/),
    );
  });

  it('refuses a truncated archive without hanging', async () => {
    const pkg = await makeChaincodePackage(shimChaincode('cut'));
    const cut = pkg.codeArchive.subarray(0, Math.floor(pkg.codeArchive.byteLength / 2));
    await assert.rejects(readNodeCode('cc:1', cut), (err) =>
      invalidPackage(err, /code\.tar\.gz is not a readable tar archive|no package\.json/),
    );
  });

  it('ignores members outside src/ and never writes outside /usr/local/src', async () => {
    const archive = await tarBuffer([
      { type: 'file', path: 'src/package.json', data: Buffer.from('{}') },
      { type: 'file', path: 'META-INF/statedb/couchdb/indexes/i.json', data: Buffer.from('{}') },
      { type: 'file', path: 'other.txt', data: Buffer.from('x') },
    ]);
    const c = await readNodeCode('cc:1', archive);
    assert.deepEqual([...c.files.keys()], ['package.json']);
  });
});

describe('Dockerfile', () => {
  it('copies the vendored modules before the code, and runs the start command', () => {
    const text = dockerfile(
      'fabric-peer/node-base:x',
      { argv: ['node', 'index.js'], env: ['A=b$c"d'] },
      'cc:1',
      { 'fabric-shim': '2.5.8' },
    );
    const lines = text.split('\n');
    assert.equal(lines[0], 'FROM fabric-peer/node-base:x');
    assert.ok(
      lines.indexOf('COPY node_modules /usr/local/node_modules') <
        lines.indexOf('COPY src /usr/local/src'),
    );
    assert.ok(lines.includes('ENV A="b\\$c\\"d"'));
    assert.ok(lines.includes('ENTRYPOINT ["node","index.js"]'));
  });
});
