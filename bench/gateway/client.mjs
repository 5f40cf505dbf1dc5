// The load generator of bench/gateway/run.mjs, run as a child process (child_process.fork) so that
// its CPU is its own. It is a client application as Fabric documents one: @hyperledger/fabric-gateway
// (unmodified) over TLS to Org1's peer, as User1 of Org1. Before the clock starts it connects, runs
// `warmup` operations of the same kind (not timed) and builds and signs every proposal it will send
// (the gateway's offline-signing API: `newSignedProposal`), then says `ready`. On `go` it runs them
// with at most `concurrency` in flight and times each one:
//   evaluate: Evaluate of `ReadAsset(key)`, keys read round robin from `readKeys` (all exist);
//   submit:   Endorse of `CreateAsset(new key)` (both organizations endorse, through the gateway),
//             the envelope signed and Submitted, then CommitStatus awaited: a transaction counts only
//             once it is committed VALID; anything else is a failure.
// It then says `done` (so the parent can read every process's CPU before anything else happens) and,
// when asked, sends the latencies. `signer`: `native` (the default of run.mjs) is an
// application-supplied signer on node:crypto, through the library's public Signer option; `noble`
// the library's own newPrivateKeySigner (pure-JavaScript ECDSA).
import { createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { connect, hash, signers } from '@hyperledger/fabric-gateway';

const job = JSON.parse(process.argv[2]);
const {
  mode,
  address,
  tlsRootCert,
  mspDir,
  mspId,
  channelId,
  chaincode,
  keyPrefix,
  readKeys,
  requests,
  concurrency,
  warmup,
  signer,
} = job;

const readFirst = (dir) => readFileSync(join(dir, readdirSync(dir)[0]));
const privateKey = createPrivateKey(readFirst(join(mspDir, 'keystore')));

/** The order of P-256: Fabric accepts only signatures with s ≤ n / 2 ("low-S"). */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** DER INTEGER of a positive bigint (minimal, with a 0 byte where the high bit is set). */
function derInteger(v) {
  let hex = v.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

/**
 * An application's own signer on node:crypto (OpenSSL) instead of the library's pure-JavaScript
 * one: SHA-256 and ECDSA in native code, the signature normalized to low-S as Fabric requires.
 * Used with `hash: hash.none`, so it receives the message and hashes it itself.
 */
function nativeSigner(key) {
  return (message) => {
    const der = cryptoSign('sha256', message, key);
    // SEQUENCE { INTEGER r, INTEGER s }, short lengths (P-256 signatures are < 128 bytes).
    const rLen = der[3];
    const r = BigInt(`0x${der.subarray(4, 4 + rLen).toString('hex')}`);
    const sLen = der[5 + rLen];
    let sv = BigInt(`0x${der.subarray(6 + rLen, 6 + rLen + sLen).toString('hex')}`);
    if (sv > P256_N / 2n) sv = P256_N - sv;
    const body = Buffer.concat([derInteger(r), derInteger(sv)]);
    return Promise.resolve(Buffer.concat([Buffer.from([0x30, body.length]), body]));
  };
}

// `noble`: the library's own signer (newPrivateKeySigner, @noble/curves), as applications use it.
const sign =
  signer === 'native' ? nativeSigner(privateKey) : signers.newPrivateKeySigner(privateKey);
const client = new grpc.Client(address, grpc.credentials.createSsl(Buffer.from(tlsRootCert)), {
  'grpc.max_receive_message_length': 100 * 1024 * 1024,
  // The peer's certificate names localhost and 127.0.0.1; a name (not an IP) is what TLS's SNI takes.
  'grpc.ssl_target_name_override': 'localhost',
});
const gateway = connect({
  client,
  identity: { mspId, credentials: readFirst(join(mspDir, 'signcerts')) },
  signer: sign,
  ...(signer === 'native' ? { hash: hash.none } : {}),
  // Deadlines well above any latency seen, so that a stuck call fails the run instead of hanging it.
  evaluateOptions: () => ({ deadline: Date.now() + 30_000 }),
  endorseOptions: () => ({ deadline: Date.now() + 30_000 }),
  submitOptions: () => ({ deadline: Date.now() + 30_000 }),
  commitStatusOptions: () => ({ deadline: Date.now() + 60_000 }),
});
const contract = gateway.getNetwork(channelId).getContract(chaincode);

/** A proposal built and signed now, to be sent later. */
async function presigned(i, prefix) {
  const proposal =
    mode === 'evaluate'
      ? contract.newProposal('ReadAsset', { arguments: [readKeys[i % readKeys.length]] })
      : contract.newProposal('CreateAsset', {
          arguments: [`${prefix}${i}`, 'blue', '5', 'Tom', String(i)],
        });
  return gateway.newSignedProposal(proposal.getBytes(), await sign(proposal.getDigest()));
}

/** One operation; resolves with a failure message, or undefined when it succeeded. */
async function operate(proposal) {
  if (mode === 'evaluate') {
    const result = await proposal.evaluate();
    return result.length > 0 ? undefined : 'empty evaluate result';
  }
  const transaction = await proposal.endorse();
  const commit = await transaction.submit();
  const status = await commit.getStatus();
  return status.successful ? undefined : `${status.transactionId}: validation code ${status.code}`;
}

/** Runs `proposals` with at most `concurrency` in flight. */
async function drive(proposals, timed) {
  const latencies = timed ? new Float64Array(proposals.length) : undefined;
  const failures = [];
  let next = 0;
  const worker = async () => {
    while (next < proposals.length) {
      const i = next++;
      const start = performance.now();
      let failure;
      try {
        failure = await operate(proposals[i]);
      } catch (err) {
        failure = String(err?.message ?? err);
        const details = err?.details;
        if (Array.isArray(details) && details.length > 0) {
          failure += ` (${details.map((d) => `${d.mspId}: ${d.message}`).join('; ')})`;
        }
      }
      if (latencies) latencies[i] = performance.now() - start;
      if (failure !== undefined) failures.push(failure);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, failures };
}

async function prepare() {
  await new Promise((ok, fail) =>
    client.waitForReady(Date.now() + 10_000, (err) => (err ? fail(err) : ok())),
  );
  const warm = [];
  for (let i = 0; i < warmup; i++) warm.push(await presigned(i, `${keyPrefix}warm-`));
  const w = await drive(warm, false);
  if (w.failures.length > 0) {
    throw new Error(`${w.failures.length} warm-up operations failed, e.g. ${w.failures[0]}`);
  }
  const proposals = [];
  for (let i = 0; i < requests; i++) proposals.push(await presigned(i, keyPrefix));
  return proposals;
}

let proposals;
let result;
process.on('message', async (msg) => {
  if (msg === 'go') {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await drive(proposals, true);
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    result = { ...r, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
    if (process.connected) {
      process.send({
        type: 'done',
        wallMs,
        cpuMs: result.cpuMs,
        failed: r.failures.length,
      });
    }
  } else if (msg === 'results') {
    process.send({
      type: 'results',
      latencies: Array.from(result.latencies),
      failures: result.failures.slice(0, 5),
    });
  } else if (msg === 'exit') {
    gateway.close();
    client.close();
    process.disconnect();
  }
});
// The parent went away (interrupted run): nothing to report to.
process.on('disconnect', () => process.exit(0));
try {
  proposals = await prepare();
  process.send({ type: 'ready' });
} catch (err) {
  process.send({ type: 'error', message: String(err?.stack ?? err) });
  process.exit(1);
}
