/**
 * The checks of one transaction that need nothing but the transaction and the channel's MSPs:
 * Fabric's `validation.ValidateTransaction` (core/common/validation/msgvalidation.go) and the
 * structural part of the v20 plugin dispatcher (`plugindispatcher.Dispatch` up to the namespaces to
 * validate). Pure functions of their input, so they give the same answer wherever they run (on the
 * main thread or in a worker of the validator pool).
 *
 * Where Fabric's peer would dereference a nil pointer and crash (a ChaincodeActionPayload without
 * an action), the transaction gets the code of the check that was running, and the reason says so.
 */
import { createHash } from 'node:crypto';
import type { IdentityDeserializer } from '@fabric-peer/api';
import { decodeTxRwSet, type NsRwSet, type TxRwSet } from '@fabric-peer/ledger';
import { common, protos } from '@fabric-peer/protos';

import { messageOf } from './errors.js';
import {
  decodeChaincodeAction,
  decodeChaincodeActionPayload,
  decodeChaincodeEvent,
  decodeChaincodeHeaderExtension,
  decodeChannelHeader,
  decodeEnvelope,
  decodePayload,
  decodeProposalResponsePayload,
  decodeSignatureHeader,
  decodeTransaction,
  type ChaincodeActionPayload,
  type ChaincodeEndorsedAction,
  type ChannelHeader,
  type Endorsement,
  type ProposalResponsePayload,
  type Envelope,
  type Header,
  type Payload,
  type SignatureHeader,
} from './wire.js';

const V = protos.TxValidationCode;
const H = common.HeaderType;
const ENDORSER_TRANSACTION = H.ENDORSER_TRANSACTION as number;
const CONFIG = H.CONFIG as number;

/** The outcome of a check: VALID, or a code and the reason (for the log). */
export interface CheckFailure {
  readonly code: number;
  readonly reason: string;
}

function failure(code: number, reason: string): CheckFailure {
  return { code, reason };
}

/** The parts of an endorser transaction's action, as {@link validateTransaction} decoded them. */
export interface EndorsedAction {
  readonly cap: ChaincodeActionPayload & { action: ChaincodeEndorsedAction };
  readonly prp: ProposalResponsePayload;
}

/** A transaction that passed {@link validateTransaction}. */
export interface CheckedTransaction {
  readonly code: typeof V.VALID;
  readonly envelope: Envelope;
  readonly payload: Payload & { header: Header };
  readonly channelHeader: ChannelHeader;
  readonly signatureHeader: SignatureHeader;
  /** For an endorser transaction: its one action, decoded. */
  readonly action?: EndorsedAction;
}

/**
 * How the creator's signature is checked: deserialize with the MSPs of `channelId`, validate, verify.
 * Rejects saying why not.
 */
export type CreatorCheck = (
  channelId: string,
  creator: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
) => Promise<void>;

/** The creator check over a deserializer chosen by the transaction's channel id. */
export function creatorCheck(
  deserializerFor: (channelId: string) => IdentityDeserializer | undefined,
): CreatorCheck {
  return async (channelId, creatorBytes, message, signature) => {
    const deserializer = deserializerFor(channelId);
    if (deserializer === undefined) {
      throw new Error(`could not get msp for channel [${channelId}]`);
    }
    let creator;
    try {
      creator = deserializer.deserializeIdentity(creatorBytes);
    } catch (err) {
      throw new Error(`MSP error: ${messageOf(err)}`);
    }
    try {
      creator.validate();
    } catch (err) {
      throw new Error(`creator certificate is not valid: ${messageOf(err)}`);
    }
    try {
      // A block's signatures are new to this peer and checked once: nothing to remember.
      await creator.verify(message, signature, { remember: false });
    } catch (err) {
      throw new Error(`creator's signature over the proposal is not valid: ${messageOf(err)}`);
    }
  };
}

function sha256(...parts: (Uint8Array | undefined)[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) if (p !== undefined) h.update(p);
  return h.digest();
}

function bytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  const x = a ?? new Uint8Array(0);
  const y = b ?? new Uint8Array(0);
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(y);
}

/** Fabric's validateSignatureHeader. */
function signatureHeaderProblem(sh: SignatureHeader): string | undefined {
  if (sh.nonce === undefined) return 'invalid nonce specified in the header';
  if (sh.creator === undefined) return 'invalid creator specified in the header';
  return undefined;
}

/** Fabric's validateCommonHeader. */
function commonHeaderProblem(
  header: Header | undefined,
): { chdr: ChannelHeader; shdr: SignatureHeader } | string {
  if (header === undefined) return 'nil header';
  let chdr: ChannelHeader;
  let shdr: SignatureHeader;
  try {
    chdr = decodeChannelHeader(header.channelHeader);
    shdr = decodeSignatureHeader(header.signatureHeader);
  } catch (err) {
    return messageOf(err);
  }
  if (
    chdr.type !== (H.ENDORSER_TRANSACTION as number) &&
    chdr.type !== (H.CONFIG_UPDATE as number) &&
    chdr.type !== (H.CONFIG as number)
  ) {
    return `invalid header type ${common.HeaderType[chdr.type] ?? chdr.type}`;
  }
  if (chdr.epoch !== 0n) {
    return `invalid Epoch in ChannelHeader. Expected 0, got [${chdr.epoch}]`;
  }
  return signatureHeaderProblem(shdr) ?? { chdr, shdr };
}

/** Fabric's validateEndorserTransaction: the reason it fails, or the decoded action. */
function endorserTransactionProblem(
  data: Uint8Array | undefined,
  header: Header,
): string | EndorsedAction {
  if (data === undefined) return 'nil arguments';
  let tx;
  try {
    tx = decodeTransaction(data);
  } catch (err) {
    return messageOf(err);
  }
  if (tx.actions.length !== 1) {
    return `only one action per transaction is supported, tx contains ${tx.actions.length}`;
  }
  const act = tx.actions[0]!;
  let sh;
  try {
    sh = decodeSignatureHeader(act.header);
  } catch (err) {
    return messageOf(err);
  }
  const problem = signatureHeaderProblem(sh);
  if (problem !== undefined) return problem;
  let cap;
  try {
    cap = decodeChaincodeActionPayload(act.payload);
  } catch (err) {
    return messageOf(err);
  }
  if (cap.action === undefined) {
    // Fabric's peer dereferences the nil action here and crashes.
    return 'chaincode action payload has no action (Fabric v2.5 dereferences nil here)';
  }
  let prp;
  try {
    prp = decodeProposalResponsePayload(cap.action.proposalResponsePayload);
  } catch (err) {
    return messageOf(err);
  }
  if (
    header.channelHeader === undefined ||
    act.header === undefined ||
    cap.chaincodeProposalPayload === undefined
  ) {
    return 'nil arguments';
  }
  const hash = sha256(header.channelHeader, act.header, cap.chaincodeProposalPayload);
  if (!bytesEqual(hash, prp.proposalHash)) return 'proposal hash does not match';
  return { cap: { ...cap, action: cap.action }, prp };
}

/**
 * Fabric's ValidateTransaction: payload, common header, creator signature, then by type: txid and
 * the endorser transaction's structure, or the config payload. Resolves with the decoded parts of a
 * transaction that passes, or with its code and the reason.
 */
export async function validateTransaction(
  envBytes: Uint8Array,
  checkCreator: CreatorCheck,
): Promise<CheckedTransaction | CheckFailure> {
  let envelope: Envelope;
  try {
    envelope = decodeEnvelope(envBytes);
  } catch (err) {
    return failure(V.INVALID_OTHER_REASON, `Error getting tx from block: ${messageOf(err)}`);
  }
  let payload: Payload;
  try {
    payload = decodePayload(envelope.payload);
  } catch (err) {
    return failure(V.BAD_PAYLOAD, `GetPayload returns err ${messageOf(err)}`);
  }
  const headers = commonHeaderProblem(payload.header);
  if (typeof headers === 'string') {
    return failure(V.BAD_COMMON_HEADER, `validateCommonHeader returns err ${headers}`);
  }
  const { chdr, shdr } = headers;
  if (envelope.signature === undefined || envelope.payload === undefined) {
    return failure(V.BAD_CREATOR_SIGNATURE, 'checkSignatureFromCreator returns err nil arguments');
  }
  try {
    await checkCreator(chdr.channelId, shdr.creator!, envelope.payload, envelope.signature);
  } catch (err) {
    return failure(
      V.BAD_CREATOR_SIGNATURE,
      `checkSignatureFromCreator returns err ${messageOf(err)}`,
    );
  }
  const header = payload.header!;
  let action: EndorsedAction | undefined;
  switch (chdr.type) {
    case ENDORSER_TRANSACTION: {
      const computed = sha256(shdr.nonce, shdr.creator).toString('hex');
      if (chdr.txId !== computed) {
        return failure(
          V.BAD_PROPOSAL_TXID,
          `CheckTxID returns err invalid txid. got [${chdr.txId}], expected [${computed}]`,
        );
      }
      const checked = endorserTransactionProblem(payload.data, header);
      if (typeof checked === 'string') {
        return failure(
          V.INVALID_ENDORSER_TRANSACTION,
          `validateEndorserTransaction returns err ${checked}`,
        );
      }
      action = checked;
      break;
    }
    case CONFIG:
      if (payload.data === undefined) {
        return failure(
          V.INVALID_CONFIG_TRANSACTION,
          'validateConfigTransaction returns err nil arguments',
        );
      }
      break;
    default:
      return failure(V.UNSUPPORTED_TX_PAYLOAD, `unsupported transaction payload type ${chdr.type}`);
  }
  return {
    code: V.VALID,
    envelope,
    payload: { ...payload, header },
    channelHeader: chdr,
    signatureHeader: shdr,
    ...(action !== undefined ? { action } : {}),
  };
}

/** What the plugin dispatcher needs of an endorser transaction that passed its structural checks. */
export interface DispatchInfo {
  /** The invoked chaincode (header extension). */
  readonly chaincodeName: string;
  /** The namespaces to validate: the invoked chaincode first, then every other one with writes. */
  readonly namespaces: readonly string[];
  /** `ChaincodeAction.results`. */
  readonly results: Uint8Array;
  readonly rwset: TxRwSet;
  readonly proposalResponsePayload: Uint8Array;
  readonly endorsements: readonly Endorsement[];
}

/** Fabric's txWritesToNamespace. */
function writesTo(ns: NsRwSet): boolean {
  if (ns.kvRwSet.writes.length > 0) return true;
  for (const c of ns.collHashedRwSets) {
    if (c.hashedRwSet.hashedWrites.length > 0) return true;
    if (c.hashedRwSet.metadataWrites.length > 0) return true;
  }
  return ns.kvRwSet.metadataWrites.length > 0;
}

const EMPTY = new Uint8Array(0);

/**
 * The structural part of Fabric's v20 Dispatch for an endorser transaction that passed
 * {@link validateTransaction}: header extension, chaincode action, read-write set, chaincode ids,
 * event, duplicate namespaces; then the namespaces to validate. Fabric iterates those in Go's map
 * order (random); here the invoked chaincode comes first, then the others in read-write set order.
 */
export function dispatchInfo(tx: CheckedTransaction): DispatchInfo | CheckFailure {
  let ext;
  try {
    ext = decodeChaincodeHeaderExtension(tx.channelHeader.extension);
  } catch (err) {
    return failure(V.BAD_HEADER_EXTENSION, messageOf(err));
  }
  let action;
  let prpBytes: Uint8Array;
  let endorsements: Endorsement[];
  try {
    // Fabric's GetActionFromEnvelope: the first action (validateTransaction decoded the only one).
    let cap: ChaincodeActionPayload;
    let prp: ProposalResponsePayload;
    if (tx.action !== undefined) {
      cap = tx.action.cap;
      prp = tx.action.prp;
    } else {
      const first = decodeTransaction(tx.payload.data).actions[0];
      if (first === undefined) throw new Error('at least one TransactionAction required');
      cap = decodeChaincodeActionPayload(first.payload);
      prp = decodeProposalResponsePayload(cap.action?.proposalResponsePayload);
    }
    if (cap.action === undefined || cap.action.proposalResponsePayload === undefined) {
      throw new Error('no payload in ChaincodeActionPayload');
    }
    prpBytes = cap.action.proposalResponsePayload;
    endorsements = cap.action.endorsements;
    if (prp.extension === undefined) throw new Error('response payload is missing extension');
    action = decodeChaincodeAction(prp.extension);
  } catch (err) {
    return failure(V.BAD_RESPONSE_PAYLOAD, `GetActionFromEnvelope failed: ${messageOf(err)}`);
  }
  let rwset: TxRwSet;
  try {
    rwset = decodeTxRwSet(action.results ?? EMPTY);
  } catch (err) {
    return failure(V.BAD_RWSET, `txRWSet.FromProtoBytes failed: ${messageOf(err)}`);
  }
  if (ext.chaincodeId === undefined) {
    return failure(V.INVALID_OTHER_REASON, 'nil ChaincodeId in header extension');
  }
  if (action.chaincodeId === undefined) {
    return failure(V.INVALID_OTHER_REASON, 'nil ChaincodeId in ChaincodeAction');
  }
  const ccId = ext.chaincodeId.name;
  if (ccId === '') return failure(V.INVALID_CHAINCODE, 'invalid chaincode ID');
  if (ccId !== action.chaincodeId.name) {
    return failure(
      V.INVALID_CHAINCODE,
      `inconsistent ccid info (${ccId}/${action.chaincodeId.name})`,
    );
  }
  if (action.chaincodeId.version === '') {
    return failure(V.INVALID_CHAINCODE, 'invalid chaincode version');
  }
  if (action.events !== undefined) {
    let event;
    try {
      event = decodeChaincodeEvent(action.events);
    } catch (err) {
      return failure(V.INVALID_OTHER_REASON, `invalid chaincode event: ${messageOf(err)}`);
    }
    if (event.chaincodeId !== ccId) {
      return failure(
        V.INVALID_OTHER_REASON,
        'chaincode event chaincode id does not match chaincode action chaincode id',
      );
    }
  }
  const namespaces = [ccId];
  const seen = new Set<string>();
  for (const ns of rwset.nsRwSets) {
    if (seen.has(ns.namespace)) {
      return failure(V.ILLEGAL_WRITESET, `duplicate namespace '${ns.namespace}' in txRWSet`);
    }
    seen.add(ns.namespace);
    if (ns.namespace !== ccId && writesTo(ns)) namespaces.push(ns.namespace);
  }
  return {
    chaincodeName: ccId,
    namespaces,
    results: action.results ?? EMPTY,
    rwset,
    proposalResponsePayload: prpBytes,
    endorsements,
  };
}

export function isFailure<T extends object>(x: T | CheckFailure): x is CheckFailure {
  return 'reason' in x;
}
