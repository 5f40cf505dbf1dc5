/**
 * The `protos.Deliver` gRPC service (Fabric's `core/peer/deliverevents.go`): Deliver and
 * DeliverWithPrivateData check `event/Block`, DeliverFiltered `event/FilteredBlock`. A stream the
 * handler ends normally closes with OK; a failure of the stream itself closes it with UNKNOWN and
 * the error's message, as grpc-go does for a plain error.
 */
import type { Readable } from 'node:stream';
import {
  status as grpcStatus,
  type ServerDuplexStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { DeliverService, type common, type protos } from '@fabric-peer/protos';
import { messageOf } from '../errors.js';
import {
  DeliverHandler,
  type DeliverCall,
  type DeliverKind,
  type DeliverServiceOptions,
} from './handler.js';

type DeliverStream = ServerDuplexStream<common.Envelope, protos.DeliverResponse.$Properties>;

function gone(): Error {
  return new Error('the deliver stream is closed');
}

/** Adapts a grpc-js server stream to the handler's {@link DeliverCall}. */
function grpcDeliverCall(call: DeliverStream): DeliverCall & { readonly closed: boolean } {
  const controller = new AbortController();
  let closed = false;
  const cancel = (): void => {
    closed = true;
    controller.abort();
  };
  call.once('cancelled', cancel);
  call.once('close', () => {
    closed = true;
  });
  // Not the default iterator: it destroys the stream once the client half-closes, and a destroyed
  // grpc-js server stream never sends its status.
  const incoming = (call as unknown as Readable).iterator({
    destroyOnReturn: false,
  }) as AsyncIterator<common.Envelope>;
  const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
  return {
    signal: controller.signal,
    remoteAddress: call.getPeer(),
    ...(raw !== undefined ? { clientCertificate: new Uint8Array(raw) } : {}),
    get closed() {
      return closed;
    },
    recv(): Promise<common.Envelope | undefined> {
      if (controller.signal.aborted) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const onAbort = (): void => resolve(undefined);
        controller.signal.addEventListener('abort', onAbort, { once: true });
        incoming.next().then(
          (r) => {
            controller.signal.removeEventListener('abort', onAbort);
            resolve(r.done === true ? undefined : r.value);
          },
          () => {
            controller.signal.removeEventListener('abort', onAbort);
            resolve(undefined);
          },
        );
      });
    },
    send(response: protos.DeliverResponse.$Properties): Promise<void> {
      if (closed || controller.signal.aborted) return Promise.reject(gone());
      return new Promise((resolve, reject) => {
        let ready: boolean;
        try {
          ready = call.write(response);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        if (ready) {
          resolve();
          return;
        }
        // Flow control: wait until the client took what was written, or left.
        const onDrain = (): void => {
          controller.signal.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          call.off('drain', onDrain);
          reject(gone());
        };
        call.once('drain', onDrain);
        controller.signal.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

/** The Deliver service for the peer listener: `server.addService(...deliverGrpcService(options))`. */
export function deliverGrpcService(
  options: DeliverServiceOptions,
): [ServiceDefinition, UntypedServiceImplementation] {
  const handler = new DeliverHandler(options);
  const serve =
    (kind: DeliverKind) =>
    (call: DeliverStream): void => {
      const adapter = grpcDeliverCall(call);
      handler.handle(adapter, kind).then(
        () => {
          if (!adapter.closed) call.end();
        },
        (err: unknown) => {
          options.logger?.warn('deliver stream failed', {
            remote: adapter.remoteAddress,
            error: messageOf(err),
          });
          if (!adapter.closed) {
            call.emit('error', { code: grpcStatus.UNKNOWN, details: messageOf(err) });
          }
        },
      );
    };
  return [
    DeliverService,
    {
      deliver: serve('block'),
      deliverFiltered: serve('filtered_block'),
      deliverWithPrivateData: serve('block_and_pvtdata'),
    },
  ];
}
