#!/usr/bin/env node
// Verifications per second of the corpus endorsements, through the peer's identity path (the
// channel's MSP manager: deserialize + validate + verify, warm caches) beside raw node:crypto
// verify of the same signatures with ready KeyObjects, in one process, interleaved, same
// concurrency. Run after a build: `node bench/identity-verify/run.mjs [--rounds 7] [--ops 20000]`.
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { common, msp, protos } from '@fabric-peer/protos';
import { bundleFromBlock, endorsementsSignedData } from '@fabric-peer/policies';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    ops: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
  },
});
const ROUNDS = Number(values.rounds);
const OPS = Number(values.ops);
const CONCURRENCY = Number(values.concurrency);

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpus = resolve(root, '../shared/fixtures/fabric-2.4.9/corpus-basic');
const block = (n) => common.Block.decode(readFileSync(join(corpus, `block-${n}.pb`)));

const bundle = await bundleFromBlock(readFileSync(join(corpus, 'block-0.pb')));
const signatures = [];
for (let n = 1; n <= 86; n++) {
  for (const bytes of block(n).data.data) {
    const payload = common.Payload.decode(common.Envelope.decode(bytes).payload);
    for (const action of protos.Transaction.decode(payload.data).actions) {
      signatures.push(
        ...endorsementsSignedData(protos.ChaincodeActionPayload.decode(action.payload).action),
      );
    }
  }
}

// Raw: the public key of each endorser, parsed once, and node:crypto's asynchronous verify.
const keys = new Map();
for (const s of signatures) {
  const pem = Buffer.from(msp.SerializedIdentity.decode(s.identity).idBytes).toString();
  keys.set(Buffer.from(s.identity).toString('latin1'), createPublicKey(pem));
}
const raw = (s) =>
  new Promise((ok, fail) =>
    cryptoVerify(
      'sha256',
      s.data,
      { key: keys.get(Buffer.from(s.identity).toString('latin1')), dsaEncoding: 'der' },
      s.signature,
      (err, good) => (err || !good ? fail(err ?? new Error('bad signature')) : ok()),
    ),
  );

// The peer: what a policy check does for one signature.
const peer = async (s) => {
  const id = bundle.deserializer.deserializeIdentity(s.identity);
  id.validate();
  await id.verify(s.data, s.signature);
};

async function measure(fn) {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < OPS) {
      const s = signatures[next++ % signatures.length];
      await fn(s);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { perSecond: OPS / seconds, cpuMicrosPerOp: (cpu.user + cpu.system) / OPS };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Warm caches and the JIT.
await measure(raw);
await measure(peer);
const results = { raw: [], peer: [], ratio: [] };
for (let r = 0; r < ROUNDS; r++) {
  const a = await measure(raw);
  const b = await measure(peer);
  results.raw.push(a);
  results.peer.push(b);
  results.ratio.push(b.perSecond / a.perSecond);
}
const summary = {
  date: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
  command: `node bench/identity-verify/run.mjs --rounds ${ROUNDS} --ops ${OPS} --concurrency ${CONCURRENCY}`,
  signatures: signatures.length,
  rawPerSecond: Math.round(median(results.raw.map((x) => x.perSecond))),
  peerPerSecond: Math.round(median(results.peer.map((x) => x.perSecond))),
  peerOverRaw: Number(median(results.ratio).toFixed(3)),
  rawCpuMicrosPerOp: Number(median(results.raw.map((x) => x.cpuMicrosPerOp)).toFixed(1)),
  peerCpuMicrosPerOp: Number(median(results.peer.map((x) => x.cpuMicrosPerOp)).toFixed(1)),
  rounds: ROUNDS,
  allRatios: results.ratio.map((x) => Number(x.toFixed(3))),
};
console.log(JSON.stringify(summary, null, 2));
