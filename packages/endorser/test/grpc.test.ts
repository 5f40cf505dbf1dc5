import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { CallContext, ProposalProcessor } from '@fabric-peer/api';
import type { protos } from '@fabric-peer/protos';
import { EndorserService } from '@fabric-peer/protos';
import { EndorserError, endorserGrpcService } from '../src/index.js';

type Client = grpc.Client & {
  processProposal(
    request: protos.ISignedProposal,
    callback: (err: grpc.ServiceError | null, res?: protos.ProposalResponse) => void,
  ): void;
};

/** Resolves once `condition` holds; fails after 5 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('endorserGrpcService', () => {
  let server: grpc.Server;
  let client: Client;
  const seen: CallContext[] = [];
  const release: (() => void)[] = [];

  // A processor that answers by the first byte of the proposal bytes.
  const processor: ProposalProcessor = {
    processProposal(sp, context) {
      seen.push(context);
      const first = sp.proposalBytes?.[0];
      if (first === 1) {
        return Promise.resolve({ version: 1, response: { status: 200, message: 'fine' } });
      }
      if (first === 2) {
        return Promise.resolve({ response: { status: 500, message: "channel 'x' not found" } });
      }
      if (first === 3) throw new Error('thrown synchronously');
      if (first === 5) {
        // Answers only when the call is cancelled.
        return new Promise((resolve) =>
          context.signal?.addEventListener('abort', () =>
            resolve({ response: { status: 500, message: 'aborted' } }),
          ),
        );
      }
      if (first === 6) {
        // Answers when the test says so, without looking at the signal meanwhile.
        return new Promise((resolve) =>
          release.push(() => resolve({ response: { status: 200, message: 'late' } })),
        );
      }
      return Promise.reject(
        new EndorserError('PROPOSAL_INVALID', 'error validating proposal: nope'),
      );
    },
  };

  before(async () => {
    server = new grpc.Server();
    const [definition, implementation] = endorserGrpcService(processor);
    server.addService(definition, implementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const Ctor = grpc.makeGenericClientConstructor(EndorserService, 'Endorser');
    client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Client;
  });

  after(() => {
    client.close();
    server.forceShutdown();
  });

  function call(first: number): Promise<protos.ProposalResponse> {
    return new Promise((resolve, reject) =>
      client.processProposal({ proposalBytes: Uint8Array.of(first) }, (err, res) =>
        err ? reject(err) : resolve(res!),
      ),
    );
  }

  /** A call whose answer the test does not wait for (it cancels it). */
  function unanswered(first: number): grpc.ClientUnaryCall {
    return client.makeUnaryRequest(
      EndorserService.processProposal.path,
      EndorserService.processProposal.requestSerialize,
      EndorserService.processProposal.responseDeserialize,
      { proposalBytes: Uint8Array.of(first) },
      () => undefined,
    );
  }

  it('returns a ProposalResponse, whatever its status, as a successful call', async () => {
    const ok = await call(1);
    assert.equal(ok.response?.status, 200);
    assert.equal(ok.version, 1);
    const failed = await call(2);
    assert.equal(failed.response?.status, 500);
    assert.equal(failed.response?.message, "channel 'x' not found");
    assert.match(seen[0]?.remoteAddress ?? '', /^127\.0\.0\.1:\d+$/);
  });

  it('aborts the context of a call cancelled before its answer, and only of such a call', async () => {
    const before = seen.length;
    await call(1);
    const answered = seen[before]!;
    // grpc-js reports every call as cancelled when its stream closes; give it the time to.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(answered.signal?.aborted, false);

    const pending = unanswered(5);
    await until(() => seen.length > before + 1);
    const cancelled = seen[before + 1]!;
    assert.equal(cancelled.signal?.aborted, false);
    pending.cancel();
    await until(() => cancelled.signal?.aborted === true);
  });

  it('gives a handler that first reads the signal after the cancellation an aborted one', async () => {
    const before = seen.length;
    const pending = unanswered(6);
    await until(() => seen.length > before);
    pending.cancel();
    // The server learns of the cancellation a moment later.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(seen[before]!.signal?.aborted, true);
    for (const r of release.splice(0)) r();
  });

  it('turns a refusal into a gRPC error carrying the message', async () => {
    for (const first of [4, 3]) {
      await assert.rejects(call(first), (err: grpc.ServiceError) => {
        assert.equal(err.code, grpc.status.UNKNOWN);
        assert.match(
          err.details,
          first === 4 ? /^error validating proposal: nope$/ : /^thrown synchronously$/,
        );
        return true;
      });
    }
  });
});
