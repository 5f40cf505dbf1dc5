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

describe('endorserGrpcService', () => {
  let server: grpc.Server;
  let client: Client;
  const seen: CallContext[] = [];

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

  it('returns a ProposalResponse, whatever its status, as a successful call', async () => {
    const ok = await call(1);
    assert.equal(ok.response?.status, 200);
    assert.equal(ok.version, 1);
    const failed = await call(2);
    assert.equal(failed.response?.status, 500);
    assert.equal(failed.response?.message, "channel 'x' not found");
    assert.match(seen[0]?.remoteAddress ?? '', /^127\.0\.0\.1:\d+$/);
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
