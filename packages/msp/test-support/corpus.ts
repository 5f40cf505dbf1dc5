// The corpus of real Fabric v2.4.9 material: MSP folders, certificates, signed envelopes.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { common, msp as mspProto, protos } from '@fabric-peer/protos';
import { corpusDir, cryptoDir } from './paths.js';

/** An MSP folder of the corpus and the MSP id it belongs to. */
export interface CorpusMspFolder {
  readonly dir: string;
  /** Path under crypto/, e.g. `peerOrganizations/org1.example.com/msp`. */
  readonly name: string;
  readonly mspId: 'Org1MSP' | 'Org2MSP' | 'OrdererMSP';
  /** Whether it has signcerts (a node or user MSP) or not (the organisation's MSP). */
  readonly hasSigncerts: boolean;
}

function mspIdOf(path: string): CorpusMspFolder['mspId'] {
  if (path.includes('org1.example.com')) return 'Org1MSP';
  if (path.includes('org2.example.com')) return 'Org2MSP';
  return 'OrdererMSP';
}

/** Every folder named `msp` under the corpus crypto tree. */
export function corpusMspFolders(): CorpusMspFolder[] {
  const out: CorpusMspFolder[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (!statSync(path).isDirectory()) continue;
      if (name === 'msp') {
        const rel = relative(cryptoDir(), path);
        let hasSigncerts = false;
        try {
          hasSigncerts = readdirSync(join(path, 'signcerts')).length > 0;
        } catch {
          hasSigncerts = false;
        }
        out.push({ dir: path, name: rel, mspId: mspIdOf(rel), hasSigncerts });
      } else {
        walk(path);
      }
    }
  };
  walk(cryptoDir());
  return out;
}

/** The organisation MSP folder of an MSP id. */
export function orgMspDir(mspId: CorpusMspFolder['mspId']): string {
  const base = cryptoDir();
  switch (mspId) {
    case 'Org1MSP':
      return join(base, 'peerOrganizations/org1.example.com/msp');
    case 'Org2MSP':
      return join(base, 'peerOrganizations/org2.example.com/msp');
    case 'OrdererMSP':
      return join(base, 'ordererOrganizations/example.com/msp');
  }
}

/** PEM of a signing certificate of the corpus, by path under crypto/. */
export function corpusCert(path: string): Buffer {
  return readFileSync(join(cryptoDir(), path));
}

/** The signing certificates used in the tests. */
export const CORPUS_CERTS = {
  peer0org1:
    'peerOrganizations/org1.example.com/peers/peer0.org1.example.com/msp/signcerts/peer0.org1.example.com-cert.pem',
  user1org1:
    'peerOrganizations/org1.example.com/users/User1@org1.example.com/msp/signcerts/User1@org1.example.com-cert.pem',
  adminorg1:
    'peerOrganizations/org1.example.com/users/Admin@org1.example.com/msp/signcerts/Admin@org1.example.com-cert.pem',
  peer0org2:
    'peerOrganizations/org2.example.com/peers/peer0.org2.example.com/msp/signcerts/peer0.org2.example.com-cert.pem',
  user1org2:
    'peerOrganizations/org2.example.com/users/User1@org2.example.com/msp/signcerts/User1@org2.example.com-cert.pem',
  adminorg2:
    'peerOrganizations/org2.example.com/users/Admin@org2.example.com/msp/signcerts/Admin@org2.example.com-cert.pem',
  orderer:
    'ordererOrganizations/example.com/orderers/orderer.example.com/msp/signcerts/orderer.example.com-cert.pem',
  adminOrderer:
    'ordererOrganizations/example.com/users/Admin@example.com/msp/signcerts/Admin@example.com-cert.pem',
  caOrg1: 'peerOrganizations/org1.example.com/ca/ca.org1.example.com-cert.pem',
  tlscaOrg1: 'peerOrganizations/org1.example.com/tlsca/tlsca.org1.example.com-cert.pem',
  caOrg2: 'peerOrganizations/org2.example.com/ca/ca.org2.example.com-cert.pem',
} as const;

/** A corpus block. */
export function corpusBlock(n: number): common.Block {
  return common.Block.decode(readFileSync(join(corpusDir(), `block-${n}.pb`)));
}

const EMPTY = new Uint8Array(0);

/** The number of blocks in the corpus. */
export const CORPUS_HEIGHT = 87;

/** One signature found in a block: who signed what. */
export interface SignedItem {
  readonly block: number;
  readonly tx: number;
  readonly kind: 'envelope' | 'endorsement';
  /** Serialized msp.SerializedIdentity of the signer. */
  readonly identity: Uint8Array;
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
  readonly mspId: string;
}

/**
 * The signatures of the endorser transactions of a block: each envelope's (by the creator of its
 * SignatureHeader, over the payload bytes) and each endorsement's (over proposal response payload
 * ‖ endorser).
 */
export function signedItems(n: number): SignedItem[] {
  const block = corpusBlock(n);
  const out: SignedItem[] = [];
  (block.data?.data ?? []).forEach((envBytes, tx) => {
    const env = common.Envelope.decode(envBytes);
    const payload = common.Payload.decode(env.payload);
    const chdr = common.ChannelHeader.decode(payload.header?.channelHeader ?? EMPTY);
    if (chdr.type !== (common.HeaderType.ENDORSER_TRANSACTION as number)) return;
    const shdr = common.SignatureHeader.decode(payload.header?.signatureHeader ?? EMPTY);
    const creator = mspProto.SerializedIdentity.decode(shdr.creator);
    out.push({
      block: n,
      tx,
      kind: 'envelope',
      identity: shdr.creator,
      data: env.payload,
      signature: env.signature,
      mspId: creator.mspid,
    });
    const transaction = protos.Transaction.decode(payload.data);
    for (const action of transaction.actions) {
      const cap = protos.ChaincodeActionPayload.decode(action.payload ?? EMPTY);
      const prp = cap.action?.proposalResponsePayload ?? EMPTY;
      for (const e of cap.action?.endorsements ?? []) {
        const endorser = e.endorser ?? EMPTY;
        out.push({
          block: n,
          tx,
          kind: 'endorsement',
          identity: endorser,
          data: Buffer.concat([prp, endorser]),
          signature: e.signature ?? EMPTY,
          mspId: mspProto.SerializedIdentity.decode(endorser).mspid,
        });
      }
    }
  });
  return out;
}

/** The MSP configs of the genesis block's channel config, by MSP id, and its capabilities. */
export function genesisMsps(): {
  readonly msps: Map<string, mspProto.MSPConfig>;
  readonly channelCapabilities: string[];
} {
  const block = corpusBlock(0);
  const env = common.Envelope.decode(block.data?.data?.[0] ?? EMPTY);
  const payload = common.Payload.decode(env.payload);
  const configEnv = common.ConfigEnvelope.decode(payload.data);
  const root = configEnv.config?.channelGroup;
  if (!root) throw new Error('block 0 has no channel group');
  const msps = new Map<string, mspProto.MSPConfig>();
  for (const section of Object.values(root.groups ?? {})) {
    for (const org of Object.values(section.groups ?? {})) {
      const value = org.values?.MSP;
      if (value === undefined) continue;
      const conf = mspProto.MSPConfig.decode(value.value ?? EMPTY);
      const name = mspProto.FabricMSPConfig.decode(conf.config).name;
      msps.set(name, conf);
    }
  }
  const caps = common.Capabilities.decode(root.values?.Capabilities?.value ?? EMPTY);
  return { msps, channelCapabilities: Object.keys(caps.capabilities) };
}
