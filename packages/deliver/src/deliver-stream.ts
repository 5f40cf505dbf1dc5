/**
 * One `AtomicBroadcast.Deliver` stream as an async iterable: sends the seek envelope, yields every
 * response, and ends after a status (the orderer's last word on a seek), when the orderer closes
 * the stream, or when `signal` aborts. Leaving the loop early cancels the stream.
 */
import type { common, orderer } from '@fabric-peer/protos';
import type { AtomicBroadcastClient } from './dialer.js';
import { DeliverError, messageOf } from './errors.js';

export async function* deliverResponses(
  client: AtomicBroadcastClient,
  address: string,
  seekEnvelope: common.Envelope.$Properties,
  signal?: AbortSignal,
): AsyncGenerator<orderer.DeliverResponse, void, undefined> {
  // A function, so that type narrowing does not assume the signal never changes.
  const aborted = (): boolean => signal?.aborted === true;
  if (aborted()) return;
  const call = client.deliver();
  const onAbort = (): void => call.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    call.write(seekEnvelope);
    for await (const response of call as AsyncIterable<orderer.DeliverResponse>) {
      yield response;
      if (response.Type === 'status') return;
    }
  } catch (err) {
    if (aborted()) return;
    throw new DeliverError(
      'ORDERER_STREAM_FAILED',
      `error reading from the deliver stream of '${address}': ${messageOf(err)}`,
      { cause: err, details: { address } },
    );
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // A no-op once the orderer ended the call; otherwise it tells the orderer to stop sending.
    call.cancel();
  }
}
