/**
 * A real fabric-contract-api chaincode run by the real fabric-shim in server mode
 * (`fabric-chaincode-node server`), as a chaincode-as-a-service deployment runs it, and a client
 * that dials it as the peer does (`protos.Chaincode/Connect`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { ChaincodeServerInfo } from '@fabric-peer/api';
import { ChaincodeService, protos } from '@fabric-peer/protos';
import { freePort, tryConnect } from '@fabric-peer/testkit';

const req = createRequire(import.meta.url);
const shimDir = dirname(req.resolve('fabric-shim/package.json'));
const contractApiDir = dirname(req.resolve('fabric-contract-api/package.json'));

/** TLS files of the chaincode server. */
export interface ServerTls {
  readonly certPem: string;
  readonly keyPem: string;
  /** CA of the clients it accepts; present: client certificates are required. */
  readonly clientCaPem?: string;
}

/** A running chaincode server. */
export interface ChaincodeServer {
  readonly address: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

/** Starts a contract in server mode on a free port of 127.0.0.1. */
export async function startChaincodeServer(
  chaincodeId: string,
  tls?: ServerTls,
): Promise<ChaincodeServer> {
  const dir = await mkdtemp(join(tmpdir(), 'vm-remote-cc-'));
  await mkdir(join(dir, 'node_modules'));
  await symlink(contractApiDir, join(dir, 'node_modules', 'fabric-contract-api'), 'dir');
  await symlink(shimDir, join(dir, 'node_modules', 'fabric-shim'), 'dir');
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'served', version: '1.0.0', main: 'index.js' }),
  );
  await writeFile(
    join(dir, 'index.js'),
    `const { Contract } = require('fabric-contract-api');
class Served extends Contract { async hello() { return 'hello'; } }
module.exports.contracts = [Served];
`,
  );
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const args = [
    join(shimDir, 'cli.js'),
    'server',
    '--chaincode-address',
    address,
    '--chaincode-id',
    chaincodeId,
    '--module-path',
    dir,
  ];
  if (tls) {
    await writeFile(join(dir, 'server.crt'), tls.certPem);
    await writeFile(join(dir, 'server.key'), tls.keyPem);
    args.push(
      '--chaincode-tls-cert-file',
      join(dir, 'server.crt'),
      '--chaincode-tls-key-file',
      join(dir, 'server.key'),
    );
    if (tls.clientCaPem) {
      await writeFile(join(dir, 'client-ca.crt'), tls.clientCaPem);
      args.push('--chaincode-tls-client-cacert-file', join(dir, 'client-ca.crt'));
    }
  }
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    if ((await tryConnect(port)) === 'connected') break;
    if (i > 200 || child.exitCode !== null) {
      await stop();
      throw new Error(`the chaincode server did not listen on ${address}: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { address, output: () => output, stop };
}

const ChaincodeClient = grpc.makeGenericClientConstructor(ChaincodeService, 'Chaincode');

/**
 * Dials the chaincode as the peer does with the server info (address, dial timeout, TLS) and
 * resolves with the id of its first message, a REGISTER.
 */
export async function dialAndReceiveRegister(
  info: ChaincodeServerInfo,
): Promise<{ type: number; chaincodeId: string }> {
  const creds = info.tls
    ? grpc.credentials.createSsl(
        Buffer.from(info.tls.rootCert),
        info.tls.clientKey ? Buffer.from(info.tls.clientKey) : null,
        info.tls.clientCert ? Buffer.from(info.tls.clientCert) : null,
      )
    : grpc.credentials.createInsecure();
  const client = new ChaincodeClient(info.address, creds);
  try {
    await new Promise<void>((resolve, reject) =>
      client.waitForReady(Date.now() + info.dialTimeoutMs, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    const call = (
      client as unknown as {
        connect(): grpc.ClientDuplexStream<
          protos.ChaincodeMessage.$Properties,
          protos.ChaincodeMessage
        >;
      }
    ).connect();
    const first = await new Promise<protos.ChaincodeMessage>((resolve, reject) => {
      call.once('data', resolve);
      call.once('error', reject);
    });
    call.cancel();
    call.on('error', () => undefined);
    return {
      type: first.type ?? 0,
      chaincodeId: protos.ChaincodeID.decode(first.payload ?? new Uint8Array(0)).name ?? '',
    };
  } finally {
    client.close();
  }
}
