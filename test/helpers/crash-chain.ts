/**
 * The deterministic chain the crash test commits: block 0 is a CONFIG block; block n ≥ 1 holds
 * TXS transactions, transaction i writing two keys of namespace `crash` (and reading none, so
 * every transaction is valid). Anyone can recompute what a ledger of height h must hold.
 */
import { createHash } from 'node:crypto';
import type { common } from '@fabric-peer/protos';
import { ChainBuilder, configTx, endorserTx, rwsetBytes, utf8 } from '@fabric-peer/testkit';

export const CHANNEL = 'crashchannel';
export const NAMESPACE = 'crash';
export const TXS = 20;
const KEYS = 300;

export function txId(n: number, i: number): string {
  return createHash('sha256').update(`crash-${n}-${i}`).digest('hex');
}

/** The two writes of transaction i of block n. */
export function writesOf(n: number, i: number): [key: string, value: string][] {
  return [
    [`k${String((n * 13 + i * 7) % KEYS).padStart(3, '0')}`, `v-${n}-${i}`],
    [`k${String((n * 31 + i * 11 + 5) % KEYS).padStart(3, '0')}`, `w-${n}-${i}`],
  ];
}

export function genesisBlock(): common.Block {
  return new ChainBuilder().block([configTx(undefined, CHANNEL)], Uint8Array.of(0));
}

/** Block n, built after the header of block n − 1. */
export function blockAfter(previous: common.IBlock, n: number): common.Block {
  const envelopes = Array.from({ length: TXS }, (_, i) =>
    endorserTx(
      rwsetBytes({
        namespace: NAMESPACE,
        kv: { writes: writesOf(n, i).map(([key, value]) => ({ key, value: utf8(value) })) },
      }),
      { txId: txId(n, i), channelId: CHANNEL, chaincode: NAMESPACE, time: 1_700_000_000_000 + n },
    ),
  );
  return ChainBuilder.after(previous).block(envelopes);
}

/** The state of namespace `crash` once blocks 1..height−1 are committed. */
export function expectedState(height: number): Map<string, string> {
  const state = new Map<string, string>();
  for (let n = 1; n < height; n++) {
    for (let i = 0; i < TXS; i++) for (const [k, v] of writesOf(n, i)) state.set(k, v);
  }
  return state;
}
