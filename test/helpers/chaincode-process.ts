/**
 * Chaincode processes a test starts itself, as a developer or an operator does: the real
 * fabric-shim CLI in `start` mode (dev mode: the chaincode dials the peer) or in `server` mode
 * (chaincode as a service: the peer dials it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const shimCli = join(dirname(require.resolve('fabric-shim/package.json')), 'cli.js');

export interface ChaincodeProcess {
  readonly child: ChildProcess;
  /** What it printed (stdout and stderr), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

function run(args: string[], logLevel?: string): ChaincodeProcess {
  const env = logLevel ? { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: logLevel } : process.env;
  const child = spawn(process.execPath, [shimCli, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  const chunks: string[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c.toString()));
  child.stderr.on('data', (c: Buffer) => chunks.push(c.toString()));
  return {
    child,
    output: () => chunks.join(''),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** `fabric-chaincode-node start`: the chaincode registers with the peer as `chaincodeId`. */
export function startDevChaincode(options: {
  readonly peerAddress: string;
  readonly chaincodeId: string;
  readonly dir: string;
}): ChaincodeProcess {
  return run([
    'start',
    '--peer.address',
    options.peerAddress,
    '--chaincode-id-name',
    options.chaincodeId,
    '--module-path',
    options.dir,
  ]);
}

/** `fabric-chaincode-node server`: the chaincode listens on `address` for the peer to dial. */
export function startChaincodeServer(options: {
  readonly address: string;
  readonly chaincodeId: string;
  readonly dir: string;
  /** CORE_CHAINCODE_LOGGING_LEVEL, as an operator sets it; default: the shim's (info). */
  readonly logLevel?: string;
}): ChaincodeProcess {
  return run(
    [
      'server',
      '--chaincode-address',
      options.address,
      '--chaincode-id',
      options.chaincodeId,
      '--module-path',
      options.dir,
    ],
    options.logLevel,
  );
}
