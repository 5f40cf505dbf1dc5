/**
 * The `protos.Endorser` gRPC service over a ProposalProcessor (the auth-filter chain in front of
 * the endorser). As Fabric's server, an error the processor throws is the call's status (UNKNOWN
 * with the error's message, which is what grpc-go sends for a plain error); a ProposalResponse,
 * whatever its status, is a successful call.
 */
import {
  status,
  type ServiceDefinition,
  type ServiceError,
  type UntypedServiceImplementation,
  type sendUnaryData,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import type { CallContext, ProposalProcessor } from '@fabric-peer/api';
import { EndorserService, type protos } from '@fabric-peer/protos';
import { messageOf } from './errors.js';

export function endorserGrpcService(
  processor: ProposalProcessor,
): [ServiceDefinition, UntypedServiceImplementation] {
  const processProposal = (
    call: ServerUnaryCall<protos.SignedProposal, protos.IProposalResponse>,
    callback: sendUnaryData<protos.IProposalResponse>,
  ): void => {
    // The signal is made only for a handler that reads it: the endorser's own chain does not, and
    // an AbortController per call is measurable at thousands of proposals a second.
    let abort: AbortController | undefined;
    let cancelled = false;
    // grpc-js reports every call as cancelled when its stream closes, answered or not: only a
    // cancellation before the answer is one (and aborting costs an AbortError each time).
    const onCancelled = (): void => {
      cancelled = true;
      abort?.abort();
    };
    call.once('cancelled', onCancelled);
    const context: CallContext = {
      remoteAddress: call.getPeer(),
      get signal(): AbortSignal {
        if (abort === undefined) {
          abort = new AbortController();
          if (cancelled) abort.abort();
        }
        return abort.signal;
      },
    };
    let answer: Promise<protos.IProposalResponse>;
    try {
      answer = processor.processProposal(call.request, context);
    } catch (err) {
      answer = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    answer
      .finally(() => call.off('cancelled', onCancelled))
      .then(
        (response) => callback(null, response),
        (err: unknown) => {
          const error: Partial<ServiceError> = {
            code: status.UNKNOWN,
            details: messageOf(err),
            message: messageOf(err),
          };
          callback(error);
        },
      );
  };
  return [EndorserService, { processProposal }];
}
