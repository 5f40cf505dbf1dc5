import assert from 'node:assert/strict';
import {
  lstat,
  readdir,
  readFile,
  readlink,
  stat,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeTarGz, type TarInput } from '@fabric-peer/chaincode-packages';
import {
  BUILD_MARKER,
  InprocessRuntimeError,
  parseStartScript,
  sanitizeChaincodeId,
  type InprocessInstance,
} from '../src/index.js';
import { CONTRACT_CHAINCODE, SHIM_CHAINCODE, nodePackage } from '../test-support/chaincodes.js';
import { removeDir, runtime, tempPeerDir } from '../test-support/support.js';

const req = createRequire(import.meta.url);
const shimDir = dirname(req.resolve('fabric-shim/package.json'));

function buildFailed(message: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof InprocessRuntimeError, String(err));
    assert.equal(err.code, 'BUILD_FAILED');
    assert.match(err.message, message);
    return true;
  };
}

describe('accepts', () => {
  let dir: string;
  before(async () => {
    dir = await tempPeerDir();
  });
  after(() => removeDir(dir));

  it('node packages, and no others', async () => {
    const vm = runtime(dir, { prewarm: false });
    for (const type of ['node', 'NODE', 'Node']) {
      assert.equal(await vm.accepts(await nodePackage('a', SHIM_CHAINCODE, type)), true, type);
    }
    for (const type of ['golang', 'java', 'ccaas', 'external', 'car', '']) {
      const pkg = await nodePackage('a', SHIM_CHAINCODE, type);
      assert.equal(await vm.accepts(pkg), false, type);
      await assert.rejects(vm.build(pkg.packageId, pkg), {
        code: 'UNSUPPORTED_PACKAGE',
        message: `the inprocess runtime runs Node.js chaincode (type node), not type '${type}' (chaincode ${pkg.packageId})`,
      });
    }
  });
});

describe('build', () => {
  let dir: string;
  before(async () => {
    dir = await tempPeerDir();
  });
  after(() => removeDir(dir));

  it('extracts src/ into externalbuilds/inprocess/<id>, linking the shim in', async () => {
    const vm = runtime(dir, { prewarm: false });
    const pkg = await nodePackage('contract_1.0', CONTRACT_CHAINCODE);
    const instance = (await vm.build(pkg.packageId, pkg)) as InprocessInstance;
    const buildDir = join(dir, 'externalbuilds', 'inprocess', pkg.packageId.replace(':', '.'));
    assert.equal(instance.build.dir, buildDir);
    assert.equal(instance.build.reused, false);
    assert.deepEqual((await readdir(buildDir)).sort(), [
      BUILD_MARKER,
      'index.js',
      'node_modules',
      'package.json',
    ]);
    assert.equal(
      await readFile(join(buildDir, 'index.js'), 'utf8'),
      CONTRACT_CHAINCODE['src/index.js'],
    );
    assert.equal(await readlink(join(buildDir, 'node_modules', 'fabric-shim')), shimDir);
    assert.ok(
      (await lstat(join(buildDir, 'node_modules', 'fabric-contract-api'))).isSymbolicLink(),
    );
    assert.deepEqual(instance.build.command, {
      kind: 'shim',
      script: join(buildDir, 'node_modules', 'fabric-shim', 'cli.js'),
      nodeArgs: [],
      args: ['start'],
    });
    // Nothing left over from the build.
    assert.deepEqual(await readdir(join(dir, 'externalbuilds', 'inprocess')), [
      pkg.packageId.replace(':', '.'),
    ]);
  });

  it('reuses a finished build, also after a restart', async () => {
    const pkg = await nodePackage('reuse_1', SHIM_CHAINCODE);
    const first = (await runtime(dir, { prewarm: false }).build(
      pkg.packageId,
      pkg,
    )) as InprocessInstance;
    const marker = join(first.build.dir, BUILD_MARKER);
    const before = (await stat(marker)).mtimeMs;
    await writeFile(join(first.build.dir, 'left-by-first-build'), 'x');
    const again = (await runtime(dir, { prewarm: false }).build(
      pkg.packageId,
      pkg,
    )) as InprocessInstance;
    assert.equal(again.build.reused, true);
    assert.equal(again.build.dir, first.build.dir);
    assert.equal((await stat(marker)).mtimeMs, before);
    assert.equal(await readFile(join(again.build.dir, 'left-by-first-build'), 'utf8'), 'x');
    // A reused build whose shim link points elsewhere (the runtime moved) is re-pointed.
    const link = join(again.build.dir, 'node_modules', 'fabric-shim');
    await unlink(link);
    await symlink('/nonexistent/fabric-shim', link);
    await runtime(dir, { prewarm: false }).build(pkg.packageId, pkg);
    assert.equal(await readlink(link), shimDir);
  });

  it('rebuilds when the folder holds another build or an unfinished one', async () => {
    const vm = runtime(dir, { prewarm: false });
    const pkg = await nodePackage('rebuild_1', SHIM_CHAINCODE);
    const built = (await vm.build(pkg.packageId, pkg)) as InprocessInstance;
    await writeFile(join(built.build.dir, BUILD_MARKER), '{"chaincodeId":"x","codeHash":"y"}');
    await writeFile(join(built.build.dir, 'stale'), 'x');
    const again = (await vm.build(pkg.packageId, pkg)) as InprocessInstance;
    assert.equal(again.build.reused, false);
    assert.ok(!(await readdir(again.build.dir)).includes('stale'));
  });

  it('builds concurrent requests for one chaincode once', async () => {
    const vm = runtime(dir, { prewarm: false });
    const pkg = await nodePackage('concurrent_1', SHIM_CHAINCODE);
    const builds = (await Promise.all(
      [1, 2, 3].map(() => vm.build(pkg.packageId, pkg)),
    )) as InprocessInstance[];
    assert.equal(new Set(builds.map((b) => b.build)).size, 1);
  });

  it('takes code at the root of code.tar.gz too', async () => {
    const vm = runtime(dir, { prewarm: false });
    const files: Record<string, string> = {};
    for (const [k, v] of Object.entries(SHIM_CHAINCODE)) files[k.replace(/^src\//, '')] = v;
    const pkg = await nodePackage('root_1', files);
    const built = (await vm.build(pkg.packageId, pkg)) as InprocessInstance;
    assert.equal(built.build.command.script, join(built.build.dir, 'index.js'));
    assert.equal(
      await readFile(join(built.build.dir, 'package.json'), 'utf8'),
      files['package.json'],
    );
  });

  it('uses vendored node_modules without npm', async () => {
    // npm is pointed at nothing: the build fails if it is run.
    const vm = runtime(dir, { prewarm: false, npm: '/nonexistent/npm' });
    const pkg = await nodePackage('vendored_1', {
      'src/package.json': JSON.stringify({
        name: 'v',
        scripts: { start: 'node index.js' },
        dependencies: { greeting: '1.0.0', 'fabric-shim': '2.5.8' },
      }),
      'src/index.js': 'require("greeting")',
      'src/node_modules/greeting/index.js': 'module.exports = "hi";',
    });
    const built = (await vm.build(pkg.packageId, pkg)) as InprocessInstance;
    assert.equal(
      await readFile(join(built.build.dir, 'node_modules', 'greeting', 'index.js'), 'utf8'),
      'module.exports = "hi";',
    );
    assert.equal(await readlink(join(built.build.dir, 'node_modules', 'fabric-shim')), shimDir);
  });

  it('runs npm for dependencies that are not vendored, and names them when it fails', async () => {
    const vm = runtime(dir, { prewarm: false });
    const pkg = await nodePackage('npmfail_1', {
      'src/package.json': JSON.stringify({
        name: 'n',
        scripts: { start: 'node index.js' },
        // A local dependency that does not exist: npm fails without going to the registry.
        dependencies: { 'fabric-shim': '2.5.8', 'missing-helper': 'file:./no-such-helper.tgz' },
      }),
      'src/index.js': '',
    });
    await assert.rejects(
      vm.build(pkg.packageId, pkg),
      buildFailed(
        new RegExp(
          `^cannot build chaincode ${pkg.packageId}: npm install of its dependencies \\(missing-helper\\) failed: npm exited with code \\d+`,
        ),
      ),
    );
    assert.ok(
      !(await readdir(join(dir, 'externalbuilds', 'inprocess'))).some((n) =>
        n.startsWith('npmfail'),
      ),
      'no build folder left',
    );
  });

  it('refuses packages without package.json or a usable start script', async () => {
    const vm = runtime(dir, { prewarm: false });
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'src/index.js': '' }, /its code package has no package\.json/],
      [{ 'src/package.json': '{oops' }, /its package\.json is not valid JSON/],
      [{ 'src/package.json': '{}' }, /its package\.json has no scripts\.start/],
      [
        { 'src/package.json': '{"scripts":{"start":"npm run serve && node x.js"}}' },
        /unsupported start script "npm run serve && node x\.js"; the inprocess runtime runs a package\.json start script of the form "fabric-chaincode-node start \[args\]" or "node <file> \[args\]"/,
      ],
      [
        { 'src/package.json': '{"scripts":{"start":"fabric-chaincode-node server"}}' },
        /does not run "fabric-chaincode-node start"/,
      ],
      [
        { 'src/package.json': '{"scripts":{"start":"node ../../outside.js"}}' },
        /runs a file outside the chaincode/,
      ],
    ];
    let i = 0;
    for (const [files, message] of cases) {
      const pkg = await nodePackage(`bad${i++}`, files);
      await assert.rejects(vm.build(pkg.packageId, pkg), buildFailed(message));
    }
  });

  it('reads start scripts as the node builder runs them', () => {
    const d = '/cc';
    const cli = '/cc/node_modules/fabric-shim/cli.js';
    const cases: [string, unknown][] = [
      ['fabric-chaincode-node start', { kind: 'shim', script: cli, nodeArgs: [], args: ['start'] }],
      [
        'fabric-chaincode-node start --grpc.max_send_message_length 100',
        {
          kind: 'shim',
          script: cli,
          nodeArgs: [],
          args: ['start', '--grpc.max_send_message_length', '100'],
        },
      ],
      ['node index.js', { kind: 'node', script: '/cc/index.js', nodeArgs: [], args: [] }],
      [
        'node --max-old-space-size=256 lib/start.js --flag "a b"',
        {
          kind: 'node',
          script: '/cc/lib/start.js',
          nodeArgs: ['--max-old-space-size=256'],
          args: ['--flag', 'a b'],
        },
      ],
    ];
    for (const [script, expected] of cases) {
      assert.deepEqual(parseStartScript('cc', d, script, cli), expected, script);
    }
    for (const bad of [
      '',
      'node',
      'node "unterminated',
      'sh start.sh',
      'node a.js | tee log',
      'FOO=1 node a.js',
    ]) {
      assert.throws(() => parseStartScript('cc', d, bad, cli), InprocessRuntimeError, bad);
    }
  });

  it('names build folders safely', () => {
    assert.equal(sanitizeChaincodeId(`basic_1.0:${'a'.repeat(64)}`), `basic_1.0.${'a'.repeat(64)}`);
    assert.equal(sanitizeChaincodeId('mycc:1.0'), 'mycc.1.0');
    const odd = sanitizeChaincodeId('../../etc');
    assert.match(odd, /^\.\._\.\._etc-[0-9a-f]{12}$/);
    assert.notEqual(sanitizeChaincodeId('a/b'), sanitizeChaincodeId('a_b'));
    assert.match(sanitizeChaincodeId('..'), /^\.\.-[0-9a-f]{12}$/);
    assert.match(sanitizeChaincodeId('.run'), /^\.run-[0-9a-f]{12}$/);
  });
});

describe('unsafe code archives', () => {
  let dir: string;
  before(async () => {
    dir = await tempPeerDir();
  });
  after(() => removeDir(dir));

  const pkgJson = { path: 'src/package.json', data: '{"scripts":{"start":"node index.js"}}' };
  const cases: [string, TarInput[], RegExp][] = [
    [
      'a path climbing out',
      [pkgJson, { path: 'src/../../escape.js', data: 'x' }],
      /entry "src\/\.\.\/\.\.\/escape\.js" escapes the build folder/,
    ],
    [
      'an absolute path',
      [pkgJson, { path: '/tmp/abs.js', data: 'x' }],
      /entry "\/tmp\/abs\.js" escapes the build folder/,
    ],
    [
      'a symlink to an absolute path',
      [pkgJson, { path: 'src/pw', type: 'symlink', linkpath: '/etc/passwd' }],
      /symlink "pw" points outside the build folder \("\/etc\/passwd"\)/,
    ],
    [
      'a symlink climbing out',
      [pkgJson, { path: 'src/lib/up', type: 'symlink', linkpath: '../../x' }],
      /symlink "lib\/up" points outside the build folder/,
    ],
    [
      'a symlink out of src/ into the package',
      [pkgJson, { path: 'src/meta', type: 'symlink', linkpath: '../META-INF' }],
      /symlink "meta" points outside/,
    ],
    [
      'a symlink through another symlink',
      [
        pkgJson,
        { path: 'src/a/b', type: 'symlink', linkpath: '.' },
        { path: 'src/c', type: 'symlink', linkpath: 'a/b/../x' },
      ],
      /symlink "c" points outside/,
    ],
    [
      'a file written through a symlink',
      [
        pkgJson,
        { path: 'src/dir', type: 'symlink', linkpath: 'sub' },
        { path: 'src/dir/f.js', data: 'x' },
      ],
      /entry "dir\/f\.js" is written through a symlink/,
    ],
    [
      'a hard link to a file outside',
      [pkgJson, { path: 'src/h', type: 'link', linkpath: '/etc/passwd' }],
      /link "h" points outside the build folder/,
    ],
    [
      'a device',
      [pkgJson, { path: 'src/dev', type: 'other' }],
      /entry "src\/dev" has unsupported type FIFO/,
    ],
  ];
  for (const [what, entries, message] of cases) {
    it(`refuses ${what}, writing nothing`, async () => {
      const vm = runtime(dir, { prewarm: false });
      const codeArchive = writeTarGz(entries);
      const pkg = {
        packageId: `unsafe:${'0'.repeat(64)}`,
        label: 'unsafe',
        type: 'node',
        path: '',
        metadata: {},
        codeArchive,
      };
      await assert.rejects(vm.build(pkg.packageId, pkg), buildFailed(message));
      const root = join(dir, 'externalbuilds', 'inprocess');
      assert.deepEqual(await readdir(root).catch(() => []), []);
    });
  }

  it('accepts links that stay inside', async () => {
    const vm = runtime(dir, { prewarm: false });
    const codeArchive = writeTarGz([
      pkgJson,
      { path: 'src/lib/real.js', data: 'module.exports = 1;' },
      { path: 'src/bin/tool', type: 'symlink', linkpath: '../lib/real.js' },
      { path: 'src/copy.js', type: 'link', linkpath: 'src/lib/real.js' },
    ]);
    const pkg = {
      packageId: `links:${'1'.repeat(64)}`,
      label: 'links',
      type: 'node',
      path: '',
      metadata: {},
      codeArchive,
    };
    const built = (await vm.build(pkg.packageId, pkg)) as InprocessInstance;
    assert.equal(
      await readFile(join(built.build.dir, 'bin', 'tool'), 'utf8'),
      'module.exports = 1;',
    );
    assert.equal(await readFile(join(built.build.dir, 'copy.js'), 'utf8'), 'module.exports = 1;');
    await removeDir(join(dir, 'externalbuilds'));
  });

  it('refuses a code archive that is not a gzip stream', async () => {
    const vm = runtime(dir, { prewarm: false });
    const pkg = {
      packageId: `junk:${'2'.repeat(64)}`,
      label: 'junk',
      type: 'node',
      path: '',
      metadata: {},
      codeArchive: Buffer.from('junk'),
    };
    await assert.rejects(
      vm.build(pkg.packageId, pkg),
      buildFailed(/code\.tar\.gz is not a readable gzip stream/),
    );
  });
});
