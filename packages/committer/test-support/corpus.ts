/** The Fabric v2.4.9 corpus (`../shared/fixtures/fabric-2.4.9/corpus-basic`) as the tests read it. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { common } from '@fabric-peer/protos';

/** packages/committer, found from this compiled file in dist/test-support/. */
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The corpus folder; throws a clear error when the shared fixtures are missing. */
export function corpusDir(): string {
  const dir = resolve(
    packageDir,
    '..',
    '..',
    '..',
    'shared',
    'fixtures',
    'fabric-2.4.9',
    'corpus-basic',
  );
  if (!existsSync(join(dir, 'block-0.pb'))) {
    throw new Error(
      `shared fixtures not found: expected ${dir} (the folder next to the repository root); the corpus tests need real Fabric data`,
    );
  }
  return dir;
}

/** Block `n` as the orderer delivered it (empty TRANSACTIONS_FILTER), decoded. */
export function ordererBlock(n: number): common.Block {
  return common.Block.decode(readFileSync(join(corpusDir(), 'orderer-blocks', `block-${n}.pb`)));
}

/** Block `n` as peer0.org1 stored it (with Fabric's TRANSACTIONS_FILTER). */
export function peerBlock(n: number): common.Block {
  return common.Block.decode(readFileSync(join(corpusDir(), `block-${n}.pb`)));
}

/** The number of blocks in the corpus. */
export const CORPUS_BLOCKS = 87;

/** Fabric's TRANSACTIONS_FILTER of each block, from validation-codes.json. */
export function fabricFilters(): Map<number, Uint8Array> {
  const json = JSON.parse(readFileSync(join(corpusDir(), 'validation-codes.json'), 'utf8')) as {
    blocks: { number: number; transactions_filter: number[] }[];
  };
  return new Map(json.blocks.map((b) => [b.number, Uint8Array.from(b.transactions_filter)]));
}

/** The final `basic` state, from state.json. */
export function fabricState(): Record<string, string> {
  return JSON.parse(readFileSync(join(corpusDir(), 'state.json'), 'utf8')) as Record<
    string,
    string
  >;
}
