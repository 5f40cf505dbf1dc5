import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  PackageError,
  createCcaasPackage,
  createChaincodePackage,
  packageId,
  parseChaincodePackage,
  readTarGz,
  validateLabel,
  writeTar,
  writeTarGz,
  type TarInput,
} from '../src/index.js';
import { removeDir, tempPeerDir } from '../test-support/support.js';

function pkg(entries: TarInput[]): Buffer {
  return writeTarGz(entries);
}
const metadata = (label: string, type = 'node') => JSON.stringify({ type, path: '', label });
const code = writeTarGz([{ path: 'src/index.js', data: 'x' }]);

function invalid(message: string | RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof PackageError, String(err));
    assert.equal(err.code, 'INVALID_PACKAGE');
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  };
}

describe('the Fabric 2.x package', () => {
  let dir: string;
  before(async () => {
    dir = await tempPeerDir();
  });
  after(() => removeDir(dir));

  it('round-trips: create, parse, package id', async () => {
    const bytes = await createChaincodePackage({
      label: 'basic_1.0',
      type: 'node',
      path: '/src/basic',
      files: { 'src/package.json': '{"name":"basic"}', 'src/index.js': 'module.exports = {};' },
    });
    const parsed = parseChaincodePackage(bytes);
    assert.deepEqual(parsed.metadata, { type: 'node', path: '/src/basic', label: 'basic_1.0' });
    assert.deepEqual(parsed.warnings, []);
    const files = readTarGz(parsed.codeArchive).map((e) => [
      e.path,
      Buffer.from(e.data).toString(),
    ]);
    assert.deepEqual(files, [
      ['src/package.json', '{"name":"basic"}'],
      ['src/index.js', 'module.exports = {};'],
    ]);
    const sha = createHash('sha256').update(bytes).digest('hex');
    assert.equal(packageId('basic_1.0', bytes), `basic_1.0:${sha}`);
    // Same input, same bytes: a package id is reproducible.
    const again = await createChaincodePackage({
      label: 'basic_1.0',
      type: 'node',
      path: '/src/basic',
      files: { 'src/package.json': '{"name":"basic"}', 'src/index.js': 'module.exports = {};' },
    });
    assert.deepEqual(again, bytes);
  });

  it('packages a folder under src/, as the peer CLI does for Node chaincode', async () => {
    const src = join(dir, 'cc');
    await mkdir(join(src, 'lib'), { recursive: true });
    await writeFile(join(src, 'package.json'), '{}');
    await writeFile(join(src, 'lib', 'contract.js'), '// contract');
    const parsed = parseChaincodePackage(
      await createChaincodePackage({ label: 'cc', type: 'node', codeDir: src }),
    );
    assert.deepEqual(
      readTarGz(parsed.codeArchive).map((e) => e.path),
      ['src/lib/contract.js', 'src/package.json'],
    );
  });

  it('reads a package laid out by GNU tar as `peer lifecycle chaincode package` lays it out', async () => {
    const work = join(dir, 'cli');
    await mkdir(join(work, 'src'), { recursive: true });
    await writeFile(join(work, 'src', 'index.js'), 'module.exports = {};');
    execFileSync('tar', ['-czf', join(work, 'code.tar.gz'), '-C', work, 'src']);
    await writeFile(join(work, 'metadata.json'), metadata('mycc_1'));
    execFileSync('tar', [
      '-czf',
      join(work, 'mycc.tar.gz'),
      '-C',
      work,
      'metadata.json',
      'code.tar.gz',
    ]);
    const bytes = await readFile(join(work, 'mycc.tar.gz'));
    const parsed = parseChaincodePackage(bytes);
    assert.equal(parsed.metadata.label, 'mycc_1');
    assert.deepEqual(
      readTarGz(parsed.codeArchive).map((e) => e.path),
      ['src/', 'src/index.js'],
    );
  });

  it('makes a ccaas package with connection.json in code.tar.gz', async () => {
    const connection = {
      address: 'basic.example.com:9999',
      dial_timeout: '10s',
      tls_required: false,
    };
    const parsed = parseChaincodePackage(
      await createCcaasPackage({ label: 'basic_1.0', connection }),
    );
    assert.deepEqual(parsed.metadata, { type: 'ccaas', path: '', label: 'basic_1.0' });
    const [entry, ...rest] = readTarGz(parsed.codeArchive);
    assert.equal(entry?.path, 'connection.json');
    assert.deepEqual(JSON.parse(Buffer.from(entry?.data ?? []).toString()), connection);
    assert.equal(rest.length, 0);
  });

  it('keeps every metadata.json field and warns (as Fabric) about unexpected files', () => {
    const parsed = parseChaincodePackage(
      pkg([
        { path: 'metadata.json', data: '{"type":"node","path":"p","label":"a","extra":1}' },
        { path: 'code.tar.gz', data: code },
        { path: 'README.md', data: 'hello' },
      ]),
    );
    assert.deepEqual(parsed.metadataJson, { type: 'node', path: 'p', label: 'a', extra: 1 });
    assert.deepEqual(parsed.warnings, [
      "Encountered unexpected file 'README.md' in top level of chaincode package",
    ]);
  });

  it("refuses malformed packages with Fabric's messages", () => {
    assert.throws(
      () => parseChaincodePackage(Buffer.from('plain text')),
      invalid('error reading as gzip stream: gzip: invalid header'),
    );
    assert.throws(
      () => parseChaincodePackage(gzipSync(Buffer.from('x'.repeat(700)))),
      invalid(/^error inspecting next tar header: /),
    );
    const full = pkg([
      { path: 'metadata.json', data: metadata('a') },
      { path: 'code.tar.gz', data: code },
    ]);
    assert.throws(
      () => parseChaincodePackage(full.subarray(0, full.length - 30)),
      invalid(/^error (reading as gzip stream|inspecting next tar header): /),
    );
    assert.throws(
      () => parseChaincodePackage(pkg([{ path: 'code.tar.gz', data: code }])),
      invalid('did not find any package metadata (missing metadata.json)'),
    );
    assert.throws(
      () => parseChaincodePackage(pkg([{ path: 'metadata.json', data: metadata('a') }])),
      invalid('did not find a code package inside the package'),
    );
    assert.throws(
      () =>
        parseChaincodePackage(
          pkg([
            { path: 'metadata.json', data: '{"label": ' },
            { path: 'code.tar.gz', data: code },
          ]),
        ),
      invalid(/^could not unmarshal metadata.json as json: /),
    );
    assert.throws(
      () =>
        parseChaincodePackage(
          pkg([
            { path: 'metadata.json', data: '{"label": 7}' },
            { path: 'code.tar.gz', data: code },
          ]),
        ),
      invalid(/^could not unmarshal metadata.json as json: field label/),
    );
    assert.throws(
      () =>
        parseChaincodePackage(
          pkg([
            { path: 'metadata.json', data: metadata('a') },
            { path: 'code.tar.gz', data: code },
            { path: 'dir/', type: 'directory' },
          ]),
        ),
      invalid('tar entry dir/ is not a regular file, type 53'),
    );
    assert.throws(
      () =>
        parseChaincodePackage(
          pkg([
            { path: 'metadata.json', data: metadata('a') },
            { path: 'code.tar.gz', type: 'symlink', linkpath: '/etc/passwd' },
          ]),
        ),
      invalid('tar entry code.tar.gz is not a regular file, type 50'),
    );
    // A tar that is not gzip-compressed is not a package either.
    assert.throws(
      () => parseChaincodePackage(writeTar([{ path: 'metadata.json', data: metadata('a') }])),
      invalid('error reading as gzip stream: gzip: invalid header'),
    );
  });

  it("checks the label against Fabric's LabelRegexp", () => {
    for (const good of ['a', 'A1', 'basic_1.0', 'x+y-z.w_v', '0abc']) validateLabel(good);
    const message = (label: string) =>
      `invalid label '${label}'. Label must be non-empty, can only consist of alphanumerics, ` +
      `symbols from '.+-_', and can only begin with alphanumerics`;
    for (const bad of ['', '_a', '.a', 'a b', 'a:b', 'a/b', 'é', 'a\n']) {
      assert.throws(() => validateLabel(bad), invalid(message(bad)));
      assert.throws(
        () =>
          parseChaincodePackage(
            pkg([
              { path: 'metadata.json', data: metadata(bad) },
              { path: 'code.tar.gz', data: code },
            ]),
          ),
        invalid(message(bad)),
      );
    }
    // metadata.json without a label has the empty label.
    assert.throws(
      () =>
        parseChaincodePackage(
          pkg([
            { path: 'metadata.json', data: '{"type":"node"}' },
            { path: 'code.tar.gz', data: code },
          ]),
        ),
      invalid(message('')),
    );
  });
});
