/**
 * `fabric-peer dev`: tools for development networks, so that one needs none of Fabric's binaries.
 * `dev up` starts a whole development network (orderer, peer, channel, the sample chaincode) in
 * one process; `dev crypto` writes MSP material as cryptogen does; `dev genesis` writes an
 * application channel's genesis block as configtxgen does. They are @fabric-peer/devnet and
 * @fabric-peer/devtools behind a command line.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  DEFAULT_DEVNET_DIR,
  DEFAULT_PORTS,
  DevnetError,
  startDevNetwork,
  validPort,
  type DevNetwork,
  type DevNetworkPorts,
} from '@fabric-peer/devnet';
import { buildGenesisBlockFromFile, generateCrypto, loadCryptoConfig } from '@fabric-peer/devtools';
import { fromEnvironment, LoggingSystem } from '@fabric-peer/logging';
import { STOP_TIMEOUT_MS } from '@fabric-peer/node';
import { BUILD_INFO } from './generated/build-info.js';
import { catchStopSignals } from './signals.js';

/** Where the dev commands write; the cli's `Io` fits. */
export interface DevIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** FABRIC_LOGGING_SPEC / FABRIC_LOGGING_FORMAT of `dev up`; default none. */
  readonly env?: NodeJS.ProcessEnv;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

async function crypto(io: DevIo, opts: { config: string; output: string }): Promise<number> {
  const config = resolve(opts.config);
  const result = await generateCrypto(await loadCryptoConfig(config), opts.output, {
    source: config,
  });
  const peers = result.organizations.filter((o) => o.kind === 'peer');
  const orderers = result.organizations.filter((o) => o.kind === 'orderer');
  type Org = (typeof result.organizations)[number];
  const count = (list: readonly Org[], f: (o: Org) => number): number =>
    list.reduce((n, o) => n + f(o), 0);
  io.out(
    `wrote ${plural(result.organizations.length, 'organization')} ` +
      `(${plural(
        count(peers, (o) => o.nodes.length),
        'peer',
      )}, ` +
      `${plural(
        count(orderers, (o) => o.nodes.length),
        'orderer',
      )}, ` +
      `${plural(
        count(result.organizations, (o) => o.users.length),
        'user',
      )}; ` +
      `${plural(result.files, 'file')}) to ${result.outputDir}\n`,
  );
  return 0;
}

async function genesis(io: DevIo, opts: { config: string; output: string }): Promise<number> {
  const block = await buildGenesisBlockFromFile(resolve(opts.config));
  for (const w of block.warnings) io.err(`warning: ${w}\n`);
  const out = resolve(opts.output);
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    await mkdir(dirname(out), { recursive: true });
    await writeFile(tmp, block.bytes, { mode: 0o640 });
    await rename(tmp, out);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new Error(
      `${out}: cannot write the block: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  io.out(
    `wrote the genesis block of channel ${block.channelId} ` +
      `(orderer orgs: ${block.ordererOrgs.join(', ')}; application orgs: ${block.applicationOrgs.join(', ')}; ` +
      `${plural(block.bytes.length, 'byte')}) to ${out}\n`,
  );
  return 0;
}

interface UpOptions {
  readonly dir: string;
  readonly ordererPort?: string;
  readonly peerPort?: string;
  readonly chaincodePort?: string;
  readonly operationsPort?: string;
}

/**
 * `dev up`: starts the development network, prints its progress and how to call the chaincode,
 * then serves until SIGINT or SIGTERM and stops cleanly (exit 0). A signal during start-up stops
 * what has started.
 */
async function up(io: DevIo, opts: UpOptions): Promise<number> {
  const env = io.env ?? {};
  const ports: Partial<DevNetworkPorts> = {
    ...(opts.ordererPort !== undefined
      ? { orderer: validPort(opts.ordererPort, '--orderer-port') }
      : {}),
    ...(opts.peerPort !== undefined ? { peer: validPort(opts.peerPort, '--peer-port') } : {}),
    ...(opts.chaincodePort !== undefined
      ? { chaincode: validPort(opts.chaincodePort, '--chaincode-port') }
      : {}),
    ...(opts.operationsPort !== undefined
      ? { operations: validPort(opts.operationsPort, '--operations-port') }
      : {}),
  };
  // The progress lines are what a developer reads; the peer's own log stays at warnings unless
  // FABRIC_LOGGING_SPEC asks for more.
  const logging = new LoggingSystem({
    ...fromEnvironment(env),
    spec: env['FABRIC_LOGGING_SPEC'] || 'warning',
    writer: { write: (chunk: string) => io.err(chunk), isTTY: process.stderr.isTTY },
  });
  const log = logging.logger('devnet');

  const signals = catchStopSignals(log);
  try {
    let network: DevNetwork;
    try {
      network = await startDevNetwork({
        dir: resolve(opts.dir),
        ports,
        loggers: (module) => logging.logger(module),
        logSpec: { spec: () => logging.normalizedSpec(), activate: (s) => logging.activate(s) },
        build: BUILD_INFO,
        progress: (text) => io.out(`${text}\n`),
        signal: signals.abortSignal,
      });
    } catch (err) {
      if (err instanceof DevnetError && err.code === 'DEVNET_ABORTED') {
        io.out('stopped before the development network was ready\n');
        return 0;
      }
      throw err;
    }
    io.out(`\n${network.instructions()}`);
    const s = await signals.received;
    io.out(`\nstopping (${s})...\n`);
    // Each part bounds its own stop; this is the last resort if something ignores that.
    const lastResort = setTimeout(
      () => {
        log.error('the development network did not stop in time: exiting');
        process.exit(1);
      },
      2 * STOP_TIMEOUT_MS + 800,
    );
    lastResort.unref();
    await network.stop();
    clearTimeout(lastResort);
    io.out('stopped\n');
    return 0;
  } finally {
    signals.release();
  }
}

/**
 * Adds the `dev` command group to the program. `run` receives each action's exit code, as the
 * other commands' actions hand theirs.
 */
export function registerDevCommands(
  program: Command,
  io: DevIo,
  run: (code: Promise<number> | number) => void,
): void {
  const dev = program.command('dev').description('Tools for development networks');
  dev
    .command('up')
    .description(
      'Start a development network in one process: orderer, peer, channel mychannel and the sample chaincode basic; serve until SIGINT or SIGTERM',
    )
    .option(
      '--dir <dir>',
      'folder of the network: made on the first start, resumed on the next',
      DEFAULT_DEVNET_DIR,
    )
    .option('--orderer-port <port>', 'the orderer (on 127.0.0.1)', String(DEFAULT_PORTS.orderer))
    .option('--peer-port <port>', "the peer's gRPC listener", String(DEFAULT_PORTS.peer))
    .option(
      '--chaincode-port <port>',
      "the peer's chaincode listener",
      String(DEFAULT_PORTS.chaincode),
    )
    .option(
      '--operations-port <port>',
      "the peer's operations server (/healthz, /metrics)",
      String(DEFAULT_PORTS.operations),
    )
    .action((o: UpOptions) => run(up(io, o)));
  dev
    .command('crypto')
    .description(
      "Generate MSP material (CAs, nodes, users, TLS) from cryptogen's crypto-config.yaml, in cryptogen's layout",
    )
    .requiredOption('-c, --config <file>', "crypto-config.yaml, cryptogen's input format")
    .requiredOption(
      '-o, --output <dir>',
      'folder to write into (organizations must not exist there yet)',
    )
    .action((o: { config: string; output: string }) => run(crypto(io, o)));
  dev
    .command('genesis')
    .description(
      'Write the genesis block of an application channel (for the channel participation API), as configtxgen -outputBlock does',
    )
    .requiredOption('-c, --config <file>', 'genesis YAML (see the @fabric-peer/devtools README)')
    .requiredOption('-o, --output <file>', 'block file to write, e.g. mychannel.block')
    .action((o: { config: string; output: string }) => run(genesis(io, o)));
}
