/** What the system chaincodes share: shim-style responses and proposal helpers. */
import type { ChaincodeResponse, SignedData } from '@fabric-peer/api';
import { common, protos } from '@fabric-peer/protos';

export function success(payload?: Uint8Array): ChaincodeResponse {
  return payload === undefined ? { status: 200 } : { status: 200, payload };
}

/** shim.Error: status 500 with the message. */
export function failure(message: string): ChaincodeResponse {
  return { status: 500, message };
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const dec = new TextDecoder();
export function text(b: Uint8Array | undefined): string {
  return b === undefined ? '' : dec.decode(b);
}

/** Fabric's protoutil.InvokedChaincodeName: the chaincode the client's proposal invoked. */
export function invokedChaincodeName(proposalBytes: Uint8Array): string {
  let proposal: protos.Proposal;
  try {
    proposal = protos.Proposal.decode(proposalBytes);
  } catch (err) {
    throw new Error(`could not unmarshal proposal: ${messageOf(err)}`);
  }
  let cpp: protos.ChaincodeProposalPayload;
  try {
    cpp = protos.ChaincodeProposalPayload.decode(proposal.payload ?? new Uint8Array(0));
  } catch (err) {
    throw new Error(`could not unmarshal chaincode proposal payload: ${messageOf(err)}`);
  }
  let cis: protos.ChaincodeInvocationSpec;
  try {
    cis = protos.ChaincodeInvocationSpec.decode(cpp.input ?? new Uint8Array(0));
  } catch (err) {
    throw new Error(`could not unmarshal chaincode invocation spec: ${messageOf(err)}`);
  }
  if (!cis.chaincodeSpec) throw new Error('chaincode spec is nil');
  if (!cis.chaincodeSpec.chaincodeId) throw new Error('chaincode id is nil');
  return cis.chaincodeSpec.chaincodeId.name ?? '';
}

/** The creator's signature over the proposal, as policies evaluate it. */
export function proposalSignedData(sp: protos.ISignedProposal): SignedData {
  const proposalBytes = sp.proposalBytes ?? new Uint8Array(0);
  const proposal = protos.Proposal.decode(proposalBytes);
  const header = common.Header.decode(proposal.header ?? new Uint8Array(0));
  const shdr = common.SignatureHeader.decode(header.signatureHeader ?? new Uint8Array(0));
  return {
    data: proposalBytes,
    identity: shdr.creator ?? new Uint8Array(0),
    signature: sp.signature ?? new Uint8Array(0),
  };
}

/**
 * The listeners of one kind of event. A listener that throws is reported to `onError` and does
 * not keep the others from hearing the event.
 */
export class Listeners<A extends unknown[]> {
  readonly #set = new Set<(...args: A) => void>();

  constructor(private readonly onError: (err: unknown) => void) {}

  /** Adds `listener`; returns the function that removes it. */
  add(listener: (...args: A) => void): () => void {
    this.#set.add(listener);
    return () => this.#set.delete(listener);
  }

  emit(...args: A): void {
    for (const listener of [...this.#set]) {
      try {
        listener(...args);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
