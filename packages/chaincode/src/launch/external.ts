/**
 * Dialling a chaincode that runs as a server (chaincode as a service, Fabric's
 * core/chaincode/extcc): the peer calls `protos.Chaincode/Connect` at the address of its
 * connection.json and runs the usual handler over that stream; the chaincode sends REGISTER first.
 */
import type { ChaincodeServerInfo } from '@fabric-peer/api';
import * as grpc from '@grpc/grpc-js';
import { ChaincodeService } from '@fabric-peer/protos';
import { ChaincodeError } from '../errors.js';
import { grpcChaincodeStream, type ChaincodeStream } from '../stream.js';

interface ChaincodeClient extends grpc.Client {
  connect(): grpc.ClientDuplexStream<unknown, unknown>;
}

function credentials(info: ChaincodeServerInfo): grpc.ChannelCredentials {
  const tls = info.tls;
  if (tls === undefined) return grpc.credentials.createInsecure();
  const root = Buffer.from(tls.rootCert);
  if (tls.clientAuthRequired) {
    if (tls.clientKey === undefined || tls.clientCert === undefined) {
      throw new ChaincodeError(
        'LAUNCH_FAILED',
        `chaincode server ${info.address} requires client authentication but no client key and certificate are configured`,
      );
    }
    return grpc.credentials.createSsl(
      root,
      Buffer.from(tls.clientKey),
      Buffer.from(tls.clientCert),
    );
  }
  return grpc.credentials.createSsl(root);
}

function waitForReady(client: grpc.Client, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => {
    client.waitForReady(deadline, (err) => (err ? reject(err) : resolve()));
  });
}

/** Dials the chaincode server and opens the Connect stream; throws LAUNCH_FAILED. */
export async function connectChaincodeServer(
  chaincodeId: string,
  info: ChaincodeServerInfo,
): Promise<ChaincodeStream> {
  const Client = grpc.makeGenericClientConstructor(
    ChaincodeService,
    'Chaincode',
  ) as unknown as new (
    address: string,
    creds: grpc.ChannelCredentials,
    options?: grpc.ChannelOptions,
  ) => ChaincodeClient;
  // channelz bookkeeping costs time on every message and nothing here reads it.
  const client = new Client(info.address, credentials(info), { 'grpc.enable_channelz': 0 });
  try {
    await waitForReady(client, Date.now() + Math.max(info.dialTimeoutMs, 1));
  } catch (err) {
    client.close();
    throw new ChaincodeError(
      'LAUNCH_FAILED',
      `connection to ${chaincodeId} failed: error creating grpc connection to ${info.address}: ${
        err instanceof Error ? err.message : String(err)
      }`,
      { cause: err },
    );
  }
  const call = client.connect();
  return grpcChaincodeStream(call, {
    abort: () => call.cancel(),
    onClosed: () => client.close(),
  });
}
