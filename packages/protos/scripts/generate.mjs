#!/usr/bin/env node
// Generates packages/protos/src/generated/ from the .proto files in <repo>/protos:
//   fabric.js / fabric.d.ts   protobufjs static module (ES module) and its declarations
//   descriptor.json           protobufjs JSON descriptor, field names as written in the .proto files
//   services.ts               @grpc/grpc-js service definitions that use fabric.js's encoders
// and mirrors fabric.js, fabric.d.ts and descriptor.json into dist/src/generated/, since tsc only
// copies what it compiles. Incremental: a hash of every input is kept in src/generated/.stamp.
//
// Usage: node generate.mjs [--force]
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const selfPath = fileURLToPath(import.meta.url);
const pkgDir = join(dirname(selfPath), '..');
const protoDir = join(pkgDir, '..', '..', 'protos');
const outDir = join(pkgDir, 'src', 'generated');
const distDir = join(pkgDir, 'dist', 'src', 'generated');
const stampPath = join(outDir, '.stamp');

/** Files the build needs at run time next to the compiled index.js. */
const MIRRORED = ['fabric.js', 'fabric.d.ts', 'descriptor.json'];
const OUTPUTS = [...MIRRORED, 'services.ts'];

/** pbjs options shared by the runtime module and the module pbts reads. */
const STATIC_OPTIONS = [
  '-t', 'static-module',
  '-w', 'esm',
  '--dependency', 'protobufjs/minimal.js',
  // A root name of our own, so another protobufjs static module in the process cannot collide.
  '-r', 'fabric-peer',
  '--no-verify',
  '--no-delimited',
  '--no-typeurl',
  '--no-service',
];

function listProtos(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listProtos(path));
    else if (entry.name.endsWith('.proto')) found.push(path);
  }
  return found;
}

function toolVersion(name) {
  return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
}

function inputsHash(protoFiles) {
  const h = createHash('sha256');
  h.update(readFileSync(selfPath));
  h.update(`protobufjs ${toolVersion('protobufjs')} protobufjs-cli ${toolVersion('protobufjs-cli')}\n`);
  for (const file of protoFiles) {
    h.update(`\0${relative(protoDir, file).split(sep).join('/')}\0`);
    h.update(readFileSync(file));
  }
  return h.digest('hex');
}

/**
 * Writes through a temporary file and a rename, so a concurrent build never reads half a file;
 * leaves a file with the same content alone, so its mtime (and tsc's view of it) stays.
 */
function writeAtomic(path, content) {
  if (existsSync(path) && readFileSync(path).equals(Buffer.from(content))) return;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

function runPbjs(args) {
  const pbjs = require('protobufjs-cli/pbjs');
  return new Promise((resolve, reject) => {
    pbjs.main(args, (err, output) => (err ? reject(err) : resolve(output)));
  });
}

/** The fields, methods and names the service generator needs, read from the JSON descriptor. */
function collectServices(descriptor) {
  const services = [];
  const walk = (ns, prefix) => {
    for (const [name, obj] of Object.entries(ns.nested ?? {})) {
      const full = prefix ? `${prefix}.${name}` : name;
      if (obj.methods) services.push({ pkg: prefix, name, full, methods: obj.methods });
      walk(obj, full);
    }
  };
  walk(descriptor, '');
  return services.sort((a, b) => a.full.localeCompare(b.full));
}

/** Resolves a type reference from a method, as protobuf scoping does, to a full name. */
function resolveType(descriptor, pkg, ref) {
  const exists = (full) => {
    let ns = descriptor;
    for (const part of full.split('.')) {
      ns = ns?.nested?.[part];
      if (!ns) return false;
    }
    return Boolean(ns.fields);
  };
  if (ref.startsWith('.')) return ref.slice(1);
  const scope = pkg ? pkg.split('.') : [];
  for (let i = scope.length; i >= 0; i--) {
    const candidate = [...scope.slice(0, i), ref].join('.');
    if (exists(candidate)) return candidate;
  }
  throw new Error(`cannot resolve message type ${ref} from package ${pkg}`);
}

const lowerFirst = (s) => s.charAt(0).toLowerCase() + s.slice(1);

function servicesSource(descriptor) {
  const services = collectServices(descriptor);
  const namespaces = new Set();
  const lines = [];
  const exported = new Set();
  const body = [];
  for (const svc of services) {
    const exportBase = svc.name;
    if (exported.has(exportBase)) {
      throw new Error(`two services are named ${exportBase}; give the generator a naming rule`);
    }
    exported.add(exportBase);
    const methods = Object.entries(svc.methods).map(([name, m]) => {
      const req = resolveType(descriptor, svc.pkg, m.requestType);
      const res = resolveType(descriptor, svc.pkg, m.responseType);
      namespaces.add(req.split('.')[0]);
      namespaces.add(res.split('.')[0]);
      const handler = m.requestStream
        ? m.responseStream
          ? 'handleBidiStreamingCall'
          : 'handleClientStreamingCall'
        : m.responseStream
          ? 'handleServerStreamingCall'
          : 'handleUnaryCall';
      return {
        key: lowerFirst(name),
        name,
        req,
        res,
        handler,
        requestStream: Boolean(m.requestStream),
        responseStream: Boolean(m.responseStream),
      };
    });
    body.push(
      '',
      `/** What a server of \`${svc.full}\` implements. */`,
      `export interface ${exportBase}Server extends UntypedServiceImplementation {`,
      ...methods.map((m) => `  ${m.key}: ${m.handler}<${m.req}, ${m.res}.$Properties>;`),
      '}',
      '',
      `/** The \`${svc.full}\` service, for \`Server.addService\` and \`makeGenericClientConstructor\`. */`,
      `export const ${exportBase}Service = {`,
      ...methods.map(
        (m) =>
          `  ${m.key}: method('/${svc.full}/${m.name}', '${m.name}', ${m.requestStream}, ${m.responseStream}, ${m.req}, ${m.res}),`,
      ),
      `} satisfies ServiceDefinition<${exportBase}Server>;`,
    );
  }
  lines.push(
    '// Generated by packages/protos/scripts/generate.mjs from protos/. Do not edit.',
    'import type {',
    '  MethodDefinition,',
    '  ServiceDefinition,',
    '  UntypedServiceImplementation,',
    '  handleBidiStreamingCall,',
    '  handleClientStreamingCall,',
    '  handleServerStreamingCall,',
    '  handleUnaryCall,',
    "} from '@grpc/grpc-js';",
    `import { ${[...namespaces].sort().join(', ')} } from './fabric.js';`,
    '',
    '/** The static-module class of a message: encodes plain properties, decodes to an instance. */',
    'interface Codec<P, M> {',
    '  encode(message: P): { finish(): Uint8Array };',
    '  decode(bytes: Uint8Array): M;',
    '}',
    '',
    'function toBuffer(bytes: Uint8Array): Buffer {',
    '  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);',
    '}',
    '',
    '/**',
    ' * A grpc-js method definition whose serializers take any object with the message properties',
    ' * (`ReqIn`, `ResIn`), while the deserializers give decoded instances (`ReqOut`, `ResOut`).',
    ' */',
    'export interface FabricMethodDefinition<ReqIn, ReqOut extends ReqIn, ResIn, ResOut extends ResIn>',
    '  extends MethodDefinition<ReqOut, ResOut> {',
    '  requestSerialize: (message: ReqIn) => Buffer;',
    '  responseSerialize: (message: ResIn) => Buffer;',
    '}',
    '',
    'function method<ReqIn, ReqOut extends ReqIn, ResIn, ResOut extends ResIn>(',
    '  path: string,',
    '  originalName: string,',
    '  requestStream: boolean,',
    '  responseStream: boolean,',
    '  request: Codec<ReqIn, ReqOut>,',
    '  response: Codec<ResIn, ResOut>,',
    '): FabricMethodDefinition<ReqIn, ReqOut, ResIn, ResOut> {',
    '  return {',
    '    path,',
    '    originalName,',
    '    requestStream,',
    '    responseStream,',
    '    requestSerialize: (message: ReqIn) => toBuffer(request.encode(message).finish()),',
    '    requestDeserialize: (bytes: Buffer) => request.decode(bytes),',
    '    responseSerialize: (message: ResIn) => toBuffer(response.encode(message).finish()),',
    '    responseDeserialize: (bytes: Buffer) => response.decode(bytes),',
    '  };',
    '}',
    ...body,
    '',
    '/** Every service definition, by full service name (`package.Service`). */',
    'export const serviceDefinitions = {',
    ...services.map((s) => `  '${s.full}': ${s.name}Service,`),
    '} as const;',
    '',
  );
  return lines.join('\n');
}

async function generate(protoFiles, hash) {
  const started = Date.now();
  const relFiles = protoFiles.map((f) => relative(protoDir, f).split(sep).join('/'));
  const work = mkdtempSync(join(tmpdir(), 'fabric-protos-'));
  const cwd = process.cwd();
  try {
    process.chdir(protoDir);
    // Runtime module: no JSDoc, so it stays about half the size.
    const runtime = await runPbjs([...STATIC_OPTIONS, '--no-comments', ...relFiles]);
    // pbts reads the JSDoc of a commented build to write the declarations.
    const commented = join(work, 'fabric.js');
    await runPbjs([...STATIC_OPTIONS, '-d', '-o', commented, ...relFiles]);
    const json = await runPbjs(['-t', 'json', '--keep-case', ...relFiles]);
    process.chdir(cwd);

    let dts = readFileSync(join(work, 'fabric.d.ts'), 'utf8');
    // pbts writes a CommonJS-style import; this module is ESM.
    dts = dts.replace('import Long = require("long");', 'import Long from "long";');
    const descriptor = JSON.parse(json);

    mkdirSync(outDir, { recursive: true });
    writeAtomic(join(outDir, 'fabric.js'), runtime);
    writeAtomic(join(outDir, 'fabric.d.ts'), dts);
    writeAtomic(join(outDir, 'descriptor.json'), `${JSON.stringify(descriptor, null, 1)}\n`);
    writeAtomic(join(outDir, 'services.ts'), servicesSource(descriptor));
    writeAtomic(stampPath, `${hash}\n`);
    console.log(
      `protos: generated ${relFiles.length} .proto files into ${relative(process.cwd(), outDir)} in ${Date.now() - started} ms`,
    );
  } finally {
    process.chdir(cwd);
    rmSync(work, { recursive: true, force: true });
  }
}

function sameFile(a, b) {
  if (!existsSync(b)) return false;
  if (statSync(a).size !== statSync(b).size) return false;
  return readFileSync(a).equals(readFileSync(b));
}

function mirrorToDist() {
  mkdirSync(distDir, { recursive: true });
  for (const name of MIRRORED) {
    const from = join(outDir, name);
    const to = join(distDir, name);
    if (!sameFile(from, to)) {
      const tmp = `${to}.${process.pid}.tmp`;
      copyFileSync(from, tmp);
      renameSync(tmp, to);
    }
  }
}

async function main() {
  if (!existsSync(protoDir)) throw new Error(`no protos folder at ${protoDir}`);
  const protoFiles = listProtos(protoDir).sort();
  const hash = inputsHash(protoFiles);
  const force = process.argv.includes('--force');
  const stamp = existsSync(stampPath) ? readFileSync(stampPath, 'utf8').trim() : '';
  const complete = OUTPUTS.every((name) => existsSync(join(outDir, name)));
  if (force || stamp !== hash || !complete) await generate(protoFiles, hash);
  mirrorToDist();
}

main().catch((err) => {
  console.error(`protos: generation failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
