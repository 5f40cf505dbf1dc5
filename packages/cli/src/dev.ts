/**
 * `fabric-peer dev`: tools for development networks, so that one needs none of Fabric's binaries.
 * `dev crypto` writes MSP material as cryptogen does; `dev genesis` writes an application channel's
 * genesis block as configtxgen does. Both are @fabric-peer/devtools behind a command line.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { buildGenesisBlockFromFile, generateCrypto, loadCryptoConfig } from '@fabric-peer/devtools';

/** Where the dev commands write; the cli's `Io` fits. */
export interface DevIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
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
