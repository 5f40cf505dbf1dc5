/** Where the tests find the shared Fabric fixtures, and loaders for the corpus genesis block. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { common } from '@fabric-peer/protos';

/** The package folder (packages/policies), found from this compiled file in dist/test-support/. */
export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The monorepo root. */
export const repoRoot = resolve(packageDir, '..', '..');

/** The Fabric v2.4.9 corpus; throws a clear error when the shared folder is missing. */
export function corpusDir(): string {
  const dir = resolve(repoRoot, '..', 'shared', 'fixtures', 'fabric-2.4.9', 'corpus-basic');
  if (!existsSync(join(dir, 'block-0.pb'))) {
    throw new Error(
      `shared fixtures not found: expected ${dir} (the folder next to the repository root). ` +
        'The corpus tests need real Fabric data.',
    );
  }
  return dir;
}

/** The genesis block's bytes. */
export function genesisBlockBytes(): Uint8Array {
  return new Uint8Array(readFileSync(join(corpusDir(), 'block-0.pb')));
}

/** The genesis block, decoded. */
export function genesisBlock(): common.Block {
  return common.Block.decode(genesisBlockBytes());
}

/** A JSON object as configtxgen renders it. */
export type Json = { readonly [key: string]: unknown };

/** `config/mychannel.block.json` (configtxgen -inspectBlock of the genesis block). */
export function genesisJson(): Json {
  return JSON.parse(
    readFileSync(join(corpusDir(), 'config', 'mychannel.block.json'), 'utf8'),
  ) as Json;
}

/** Follows `path` through nested JSON objects and arrays; throws naming the missing step. */
export function at(json: unknown, ...path: (string | number)[]): unknown {
  let node = json;
  for (const step of path) {
    if (node === null || typeof node !== 'object' || !(step in node)) {
      throw new Error(`JSON has no ${String(step)} in path ${path.join('.')}`);
    }
    node = (node as Record<string | number, unknown>)[step];
  }
  return node;
}

/** The channel group of the genesis JSON. */
export function channelGroupJson(json: Json = genesisJson()): Json {
  return at(json, 'data', 'data', 0, 'payload', 'data', 'config', 'channel_group') as Json;
}

/** The channel id of the genesis JSON. */
export function channelIdJson(json: Json = genesisJson()): string {
  return at(json, 'data', 'data', 0, 'payload', 'header', 'channel_header', 'channel_id') as string;
}

/** One config group of the JSON, by its path below the channel group. */
export function groupJson(channelGroup: Json, ...path: string[]): Json {
  let group = channelGroup;
  for (const name of path) group = at(group, 'groups', name) as Json;
  return group;
}

/** The keys of a JSON object (an empty list for null/absent). */
export function keysOf(value: unknown): string[] {
  return value === null || value === undefined ? [] : Object.keys(value);
}

/** Every policy of the JSON tree: absolute path → policy type number. */
export function policiesJson(channelGroup: Json): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (group: Json, path: string): void => {
    for (const name of keysOf(group.policies)) {
      out.set(`${path}/${name}`, at(group, 'policies', name, 'policy', 'type') as number);
    }
    for (const name of keysOf(group.groups))
      walk(at(group, 'groups', name) as Json, `${path}/${name}`);
  };
  walk(channelGroup, '/Channel');
  return out;
}

/** Base64 (as the JSON renders bytes) to bytes. */
export function b64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}
