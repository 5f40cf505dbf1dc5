/**
 * The pre-warmed chaincode process ("zygote"). It loads fabric-shim, fabric-contract-api and
 * @grpc/grpc-js ahead of time, then waits on IPC for the chaincode to run; it then becomes that
 * chaincode: same argv, environment and folder as a fresh `node` would have. State those libraries
 * captured when they were loaded (yargs' argv, the default module path, logger levels) is reset
 * before the chaincode starts.
 */
// A CommonJS file under verbatimModuleSyntax imports with `import x = require()`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import Module = require('node:module');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import path = require('node:path');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import setup = require('./library-setup.cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import pipe = require('./message-pipe.cjs');

interface RunMessage {
  type: 'run';
  cwd: string;
  script: string;
  args: string[];
  env: Record<string, string>;
}

type Loaded = Record<string, unknown>;

let shimRequire: NodeJS.Require | undefined;
const preloaded: { yargs?: unknown; loggers: Loaded[]; commands: Loaded[] } = {
  loggers: [],
  commands: [],
};

function preload(): void {
  try {
    const shimPackage = require.resolve('fabric-shim/package.json');
    shimRequire = Module.createRequire(shimPackage);
    shimRequire('./index.js');
    shimRequire('./lib/contract-spi/bootstrap.js');
    preloaded.commands.push(
      shimRequire('./lib/cmds/startCommand.js') as Loaded,
      shimRequire('./lib/cmds/serverCommand.js') as Loaded,
    );
    preloaded.loggers.push(shimRequire('./lib/logger.js') as Loaded);
    preloaded.yargs = shimRequire('yargs');
    shimRequire('@grpc/grpc-js');
    const apiRequire = Module.createRequire(require.resolve('fabric-contract-api/package.json'));
    apiRequire('./index.js');
    preloaded.loggers.push(apiRequire('./lib/logger.js') as Loaded);
  } catch (err) {
    // Still useful: node itself is warm. The chaincode will load what it needs.
    process.stderr.write(`zygote: preloading the shim failed: ${String(err)}\n`);
  }
}

/** Process events the libraries listen to once loaded (winston's exception handlers). */
const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection', 'uncaughtExceptionMonitor'];
type Listener = (...args: unknown[]) => void;
const added: [string, Listener][] = [];

function listenersNow(): Map<string, Listener[]> {
  return new Map(
    PROCESS_EVENTS.map((e) => [e, process.listeners(e as 'uncaughtException') as Listener[]]),
  );
}

/**
 * Takes away the process listeners the preloaded libraries installed (fabric-shim's logger handles
 * uncaught exceptions and does not exit), so that a chaincode behaves as under a fresh `node`:
 * they come back when the chaincode itself loads fabric-shim or fabric-contract-api.
 */
function detachListeners(before: Map<string, Listener[]>): void {
  for (const [event, now] of listenersNow()) {
    for (const fn of now) {
      if (!(before.get(event) ?? []).includes(fn)) {
        added.push([event, fn]);
        process.removeListener(event, fn);
      }
    }
  }
}

function reattachOnLibraryLoad(script: string): void {
  if (added.length === 0) return;
  const reattach = () => {
    for (const [event, fn] of added.splice(0)) process.on(event, fn);
    proto.require = original;
  };
  const proto = Module.prototype as unknown as { require: (id: string) => unknown };
  const original = proto.require;
  const libraries = /^(fabric-shim|fabric-contract-api)(\/|$)/;
  if (script.includes(`${path.sep}fabric-shim${path.sep}`)) {
    reattach();
    return;
  }
  proto.require = function (this: unknown, id: string) {
    if (libraries.test(id)) reattach();
    return original.call(this, id);
  };
}

function becomeChaincode(msg: RunMessage): void {
  process.chdir(msg.cwd);
  // A chaincode may bring its own copies of the libraries preloaded here.
  setup.prepareLibrariesFor(msg.cwd);
  for (const [key, value] of Object.entries(msg.env)) process.env[key] = value;
  pipe.connectMessagePipe(msg.cwd);
  process.argv = [process.execPath, msg.script, ...msg.args];
  // yargs' singleton parsed process.argv when it was first required.
  if (typeof preloaded.yargs === 'function' && shimRequire) {
    const helpers = shimRequire('yargs/helpers') as { hideBin(argv: string[]): string[] };
    (preloaded.yargs as (args: string[]) => unknown)(helpers.hideBin(process.argv));
  }
  // The shim's commands took process.cwd() as the default --module-path when loaded.
  for (const command of preloaded.commands) {
    const options = command.validOptions as Record<string, { default?: unknown }> | undefined;
    const modulePath = options?.['module-path'];
    if (modulePath) modulePath.default = process.cwd();
  }
  reattachOnLibraryLoad(msg.script);
  const level = process.env.CORE_CHAINCODE_LOGGING_LEVEL;
  if (level) {
    for (const logger of preloaded.loggers) {
      if (typeof logger.setLevel === 'function') (logger.setLevel as (l: string) => void)(level);
    }
  }
}

let running = false;
process.on('message', (msg: RunMessage) => {
  if (running || msg?.type !== 'run') return;
  running = true;
  try {
    becomeChaincode(msg);
  } catch (err) {
    process.stderr.write(`zygote: cannot run ${msg.script}: ${String(err)}\n`);
    process.exit(1);
  }
  process.send?.({ type: 'running' }, () => {
    process.disconnect?.();
    // Runs the script as node runs its main module (require.main, ESM or CommonJS).
    (Module as unknown as { runMain(main?: string): void }).runMain(path.resolve(msg.script));
  });
});
// The peer went away (or no longer needs this process) before it was used.
process.on('disconnect', () => {
  if (!running) process.exit(0);
});

// Exits with the peer, whether idle or already the chaincode.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('./orphan-guard.cjs');

const before = listenersNow();
// The same libraries preload() loads, resolved from here.
setup.prepareLibrariesFor(__dirname);
preload();
detachListeners(before);
process.send?.({ type: 'ready' });
