/**
 * The `fabric-peer` command: start the peer, check or print its configuration, list the plugins
 * bound to each extension point, print the version.
 */
import { Command, CommanderError } from 'commander';
import { FabricPeerError } from '@fabric-peer/api';
import { loadConfig, type LoadedConfig } from '@fabric-peer/config';
import { bindingsReport } from '@fabric-peer/core';
import { fromEnvironment, LoggingSystem } from '@fabric-peer/logging';
import { createKernel, PeerNode, STOP_TIMEOUT_MS, type PeerOptions } from '@fabric-peer/node';
import { stringify as toYaml } from 'yaml';
import { registerChaincodeCommands } from './chaincode.js';
import { registerDevCommands } from './dev.js';
import { registerLedgerCommands } from './ledger.js';
import { BUILD_INFO } from './generated/build-info.js';
import { renderPlugins, unprovidedSelections } from './render.js';
import { catchStopSignals } from './signals.js';

/** Output streams and environment, injectable so tests can run commands in-process. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

const defaultIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
};

const CONFIG_HELP =
  'core.yaml, or the folder holding it (default: $FABRIC_CFG_PATH, else ./core.yaml, else /etc/hyperledger/fabric/core.yaml)';

/** A failure the command reports as one message and exit code 1. */
class CommandFailed extends Error {}

function load(io: Io, path: string | undefined): LoadedConfig {
  return loadConfig({ ...(path !== undefined ? { path } : {}), env: io.env });
}

function peerOptions(config: LoadedConfig, logging: LoggingSystem): PeerOptions {
  return {
    config,
    loggerFactory: (module) => logging.logger(module),
    logSpec: { spec: () => logging.normalizedSpec(), activate: (s) => logging.activate(s) },
    build: BUILD_INFO,
  };
}

async function start(io: Io, opts: { config?: string }): Promise<number> {
  const logging = new LoggingSystem(fromEnvironment(io.env));
  const log = logging.logger('node.start');
  const config = load(io, opts.config);
  for (const w of config.warnings) log.warn(w);
  log.info('starting fabric-peer', {
    version: BUILD_INFO.Version,
    commit: BUILD_INFO.CommitSHA,
    config: config.file,
  });
  log.debug('effective configuration', { config: config.toPrintable({ redact: true }) });
  const node = await PeerNode.create(peerOptions(config, logging));

  const signals = catchStopSignals(log);
  try {
    await node.start();
    log.info('peer started', { services: node.services.join(','), ...node.ports });
    const s = await signals.received;
    log.info('stopping', { signal: s });
    // The lifecycle bounds each stop; this is the last resort if something ignores it.
    const lastResort = setTimeout(() => {
      log.error('services did not stop in time: exiting');
      process.exit(1);
    }, STOP_TIMEOUT_MS + 800);
    lastResort.unref();
    await node.stop();
    clearTimeout(lastResort);
    log.info('stopped');
    return 0;
  } finally {
    signals.release();
  }
}

async function check(io: Io, opts: { config?: string }): Promise<number> {
  const logging = new LoggingSystem({ ...fromEnvironment(io.env), spec: 'warn' });
  const config = load(io, opts.config);
  const kernel = await createKernel(peerOptions(config, logging));
  io.out(`configuration OK: ${config.file}\n`);
  for (const p of kernel.registry.plugins()) {
    io.out(
      `  plugin ${p.plugin.name} ${p.plugin.version} (${p.builtIn ? 'built-in' : p.location})\n`,
    );
  }
  for (const w of config.warnings) io.out(`  warning: ${w}\n`);
  for (const n of unprovidedSelections(bindingsReport(kernel.registry, config)))
    io.out(`  note: ${n}\n`);
  return 0;
}

function print(io: Io, opts: { config?: string; json?: boolean; sources?: boolean }): number {
  const config = load(io, opts.config);
  const tree = config.toPrintable({ redact: true });
  io.out(
    opts.json
      ? `${JSON.stringify(tree, null, 2)}\n`
      : `# effective configuration of ${config.file}\n${toYaml(tree)}`,
  );
  if (opts.sources) {
    io.out('\n# values not from defaults:\n');
    for (const [key, source] of config.overrides()) io.out(`#   ${key}  ← ${source}\n`);
  }
  return 0;
}

async function plugins(io: Io, opts: { config?: string; json?: boolean }): Promise<number> {
  const logging = new LoggingSystem({ ...fromEnvironment(io.env), spec: 'warn' });
  const config = load(io, opts.config);
  const kernel = await createKernel(peerOptions(config, logging));
  const report = bindingsReport(kernel.registry, config);
  io.out(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderPlugins(report));
  return 0;
}

function version(io: Io): number {
  io.out(
    [
      'fabric-peer:',
      ` Version: ${BUILD_INFO.Version}`,
      ` Commit SHA: ${BUILD_INFO.CommitSHA}`,
      ` Node.js version: ${process.version}`,
      ` OS/Arch: ${process.platform}/${process.arch}`,
      ' Fabric protocol: v2.5 (with the v3.1 chaincode shim additions)',
      '',
    ].join('\n'),
  );
  return 0;
}

/** Builds the command tree; `run` receives each action's exit code. */
export function program(io: Io, run: (code: Promise<number> | number) => void): Command {
  const cmd = new Command('fabric-peer')
    .description('A Hyperledger Fabric peer in TypeScript, with every major part a plugin')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError();
  cmd
    .command('start')
    .description('Start the peer and serve until SIGINT or SIGTERM')
    .option('-c, --config <path>', CONFIG_HELP)
    .action((o: { config?: string }) => run(start(io, o)));
  cmd
    .command('version')
    .description('Print the version, commit and platform')
    .action(() => run(version(io)));
  const config = cmd.command('config').description('Check or print the configuration');
  config
    .command('check')
    .description('Validate core.yaml and environment overrides, and load every plugin it names')
    .option('-c, --config <path>', CONFIG_HELP)
    .action((o: { config?: string }) => run(check(io, o)));
  config
    .command('print')
    .description('Print the effective configuration after environment overrides, secrets redacted')
    .option('-c, --config <path>', CONFIG_HELP)
    .option('--json', 'print JSON instead of YAML')
    .option('--sources', 'also list the keys set by the file or the environment')
    .action((o: { config?: string; json?: boolean; sources?: boolean }) => run(print(io, o)));
  cmd
    .command('plugins')
    .description('List each extension point, what core.yaml selects and which plugin provides it')
    .option('-c, --config <path>', CONFIG_HELP)
    .option('--json', 'print JSON')
    .action((o: { config?: string; json?: boolean }) => run(plugins(io, o)));
  registerDevCommands(cmd, io, run);
  registerChaincodeCommands(cmd, io, run);
  registerLedgerCommands(cmd, io, run);
  return cmd;
}

/** Runs the command line and returns the process exit code. */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  let pending: Promise<number> = Promise.resolve(0);
  const cmd = program(io, (c) => {
    pending = Promise.resolve(c);
  });
  try {
    await cmd.parseAsync([...argv]);
    return await pending;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    const message =
      err instanceof FabricPeerError || err instanceof CommandFailed || err instanceof Error
        ? err.message
        : String(err);
    io.err(`Error: ${message}\n`);
    return 1;
  }
}
