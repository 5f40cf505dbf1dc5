/**
 * A client of the peer's `protos.Deliver` service for tests: opens Deliver, DeliverFiltered or
 * DeliverWithPrivateData streams with grpc-js and reads their responses one at a time.
 */
import * as grpc from '@grpc/grpc-js';
import { DeliverService, type common, type protos } from '@fabric-peer/protos';

type Method = 'deliver' | 'deliverFiltered' | 'deliverWithPrivateData';

interface DeliverClient extends grpc.Client {
  deliver(): grpc.ClientDuplexStream<common.Envelope.$Properties, protos.DeliverResponse>;
  deliverFiltered(): grpc.ClientDuplexStream<common.Envelope.$Properties, protos.DeliverResponse>;
  deliverWithPrivateData(): grpc.ClientDuplexStream<
    common.Envelope.$Properties,
    protos.DeliverResponse
  >;
}

const Ctor = grpc.makeGenericClientConstructor(DeliverService, 'Deliver') as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => DeliverClient;

/** What a stream gives next: a response, its normal end, or its error. */
export type StreamItem =
  | { readonly kind: 'response'; readonly response: protos.DeliverResponse }
  | { readonly kind: 'end' }
  | { readonly kind: 'error'; readonly error: grpc.ServiceError };

/** One open stream. */
export class TestDeliverStream {
  readonly #items: StreamItem[] = [];
  readonly #waiters: ((item: StreamItem) => void)[] = [];

  constructor(
    readonly call: grpc.ClientDuplexStream<common.Envelope.$Properties, protos.DeliverResponse>,
  ) {
    call.on('data', (response: protos.DeliverResponse) =>
      this.#push({ kind: 'response', response }),
    );
    call.on('end', () => this.#push({ kind: 'end' }));
    call.on('error', (error: grpc.ServiceError) => this.#push({ kind: 'error', error }));
  }

  #push(item: StreamItem): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter(item);
    else this.#items.push(item);
  }

  send(envelope: common.Envelope.$Properties): void {
    this.call.write(envelope);
  }

  /** The next item; rejects after `timeoutMs`. */
  next(timeoutMs = 5_000): Promise<StreamItem> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new Error(`no deliver response within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (it: StreamItem): void => {
        clearTimeout(timer);
        resolve(it);
      };
      this.#waiters.push(waiter);
    });
  }

  /** Whether nothing arrives within `ms`. */
  async quiet(ms: number): Promise<boolean> {
    try {
      await this.next(ms).then((item) => this.#items.unshift(item));
      return false;
    } catch {
      return true;
    }
  }

  /**
   * Responses until a status: a compact description of each (`block 3`, `filtered 3`,
   * `pvt 3`, `status 200`), then the stream's end or error.
   */
  async readUntilStatus(timeoutMs = 5_000): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const item = await this.next(timeoutMs);
      if (item.kind !== 'response') {
        out.push(item.kind === 'end' ? 'end' : `error ${item.error.code}`);
        return out;
      }
      const r = item.response;
      switch (r.Type) {
        case 'block':
          out.push(`block ${Number(r.block?.header?.number)}`);
          break;
        case 'filteredBlock':
          out.push(`filtered ${Number(r.filteredBlock?.number)}`);
          break;
        case 'blockAndPrivateData':
          out.push(`pvt ${Number(r.blockAndPrivateData?.block?.header?.number)}`);
          break;
        default:
          out.push(`status ${r.status}`);
          return out;
      }
    }
  }

  close(): void {
    this.call.end();
  }

  cancel(): void {
    this.call.cancel();
  }
}

/** A Deliver client of a peer at `address`. */
export class TestDeliverClient {
  readonly #client: DeliverClient;

  constructor(
    address: string,
    credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  ) {
    this.#client = new Ctor(address, credentials);
  }

  open(method: Method = 'deliver'): TestDeliverStream {
    return new TestDeliverStream(this.#client[method]());
  }

  close(): void {
    this.#client.close();
  }
}
