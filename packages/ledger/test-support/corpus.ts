// The blocks, validation codes, state and workload Fabric v2.4.9 produced for channel mychannel.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { common } from '@fabric-peer/protos';
import { chaincodeActionFromEnvelope } from '../src/index.js';
import { WireReader } from '../src/txmgmt/wire.js';
import { corpusDir } from './paths.js';

export const CORPUS_CHANNEL = 'mychannel';
export const CORPUS_HEIGHT = 87;

/** A block as fetched from peer0.org1 (final TRANSACTIONS_FILTER and COMMIT_HASH). */
export function peerBlockBytes(n: number): Uint8Array {
  return readFileSync(join(corpusDir(), `block-${n}.pb`));
}

/** The same block as fetched from the orderer (no TRANSACTIONS_FILTER, no COMMIT_HASH). */
export function ordererBlockBytes(n: number): Uint8Array {
  return readFileSync(join(corpusDir(), 'orderer-blocks', `block-${n}.pb`));
}

export function peerBlock(n: number): common.Block {
  return common.Block.decode(peerBlockBytes(n));
}

export function ordererBlock(n: number): common.Block {
  return common.Block.decode(ordererBlockBytes(n));
}

export interface CorpusTx {
  readonly index: number;
  readonly txid: string;
  readonly type: string;
  readonly validation_code: string;
  readonly validation_code_value: number;
  readonly chaincode?: string;
  readonly function?: string;
  readonly args?: string[];
  readonly timestamp: string;
  readonly rwset?: { readonly namespace: string; readonly writes: readonly unknown[] }[];
}

export interface CorpusBlock {
  readonly number: number;
  readonly transactions_filter: number[];
  readonly transactions: CorpusTx[];
}

export function validationCodes(): CorpusBlock[] {
  const d = JSON.parse(readFileSync(join(corpusDir(), 'validation-codes.json'), 'utf8')) as {
    blocks: CorpusBlock[];
  };
  return d.blocks;
}

/** state.json: the `basic` namespace at height 87, key → value. */
export function finalBasicState(): Record<string, string> {
  return JSON.parse(readFileSync(join(corpusDir(), 'state.json'), 'utf8')) as Record<
    string,
    string
  >;
}

export interface WorkloadStep {
  readonly step: number;
  readonly label: string;
  readonly type: 'submit' | 'evaluate';
  readonly fn: string;
  readonly args: string[];
  readonly txid?: string;
  readonly block?: number;
  readonly validationCode?: string;
}

export function workload(): WorkloadStep[] {
  return JSON.parse(readFileSync(join(corpusDir(), 'workload.json'), 'utf8')) as WorkloadStep[];
}

/** The raw bytes of each field-2 entry of a TxReadWriteSet (its NsReadWriteSets), by namespace. */
export function nsRwSetBytes(txRwSet: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const r = new WireReader(txRwSet);
  while (!r.done) {
    const { num, wireType } = r.tag();
    if (num !== 2 || wireType !== 2) {
      r.skip(num, wireType);
      continue;
    }
    const ns = r.bytes();
    // The namespace is field 1 of the NsReadWriteSet.
    const inner = new WireReader(ns);
    let name = '';
    while (!inner.done) {
      const t = inner.tag();
      if (t.num === 1 && t.wireType === 2) name = Buffer.from(inner.bytes()).toString('utf8');
      else inner.skip(t.num, t.wireType);
    }
    out.set(name, ns);
  }
  return out;
}

/** The TxReadWriteSet bytes (ChaincodeAction.results) of an endorser transaction. */
export function txResults(envelope: Uint8Array): Uint8Array {
  return chaincodeActionFromEnvelope(envelope).results;
}

/** The TRANSACTIONS_FILTER slot of a block. */
export function filterOf(block: common.IBlock): Uint8Array {
  return (
    block.metadata?.metadata?.[common.BlockMetadataIndex.TRANSACTIONS_FILTER] ?? new Uint8Array(0)
  );
}

/** The block with another TRANSACTIONS_FILTER and no COMMIT_HASH (what a committer hands the ledger). */
export function withFilter(block: common.Block, filter: Uint8Array): common.Block {
  const metadata = [...(block.metadata?.metadata ?? [])];
  while (metadata.length < 5) metadata.push(new Uint8Array(0));
  metadata[common.BlockMetadataIndex.TRANSACTIONS_FILTER] = filter;
  metadata[common.BlockMetadataIndex.COMMIT_HASH] = new Uint8Array(0);
  return common.Block.create({ header: block.header, data: block.data, metadata: { metadata } });
}
