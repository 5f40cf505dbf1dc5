import * as grpc from '@grpc/grpc-js';
import { HealthService } from '@fabric-peer/protos';

const HealthClient = grpc.makeGenericClientConstructor(HealthService, 'Health');

/** Asks a peer's gRPC health service; resolves with the serving status number or rejects. */
export function healthCheck(
  address: string,
  credentials = grpc.credentials.createInsecure(),
  options: grpc.ChannelOptions = {},
): Promise<number> {
  const client = new HealthClient(address, credentials, options);
  return new Promise<number>((resolve, reject) => {
    client.makeUnaryRequest(
      HealthService.check.path,
      HealthService.check.requestSerialize,
      HealthService.check.responseDeserialize,
      { service: '' },
      { deadline: Date.now() + 5000 },
      (err, res) => {
        client.close();
        if (err) reject(err);
        else resolve(res?.status ?? -1);
      },
    );
  });
}
