/**
 * `metrics.provider: statsd`: pushes metrics to a statsd server every `metrics.statsd.writeInterval`,
 * as Fabric does: counters as `|c` (summed per interval), gauges as `|g`, histograms as timings `|ms`
 * (one per observation, in the metric's own unit). Names follow Fabric's StatsdFormat.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import type {
  Counter,
  Gauge,
  Histogram,
  HistogramOptions,
  MetricLabels,
  MetricOptions,
  MetricsProvider,
} from '@fabric-peer/api';

/** Largest payload per UDP datagram that avoids fragmentation on common links. */
const MAX_PACKET = 1432;
/** Longest wait between two attempts to reconnect to a TCP collector. */
const MAX_RECONNECT_MS = 60_000;

export interface StatsdOptions {
  readonly network: 'udp' | 'tcp';
  readonly host: string;
  readonly port: number;
  readonly writeIntervalMs: number;
  readonly prefix: string;
}

/** Replaces characters statsd treats as syntax. */
function clean(v: string): string {
  return v.replace(/[.:|@#\s]/g, '_');
}

function namer(opts: MetricOptions): (labels?: MetricLabels) => string {
  const fq = [opts.namespace, opts.subsystem, opts.name]
    .filter((p) => p !== undefined && p !== '')
    .join('.');
  const labelNames = opts.labelNames ?? [];
  const format = opts.statsdFormat ?? ['%{#fqname}', ...labelNames.map((l) => `%{${l}}`)].join('.');
  const own: Record<string, string> = {
    '#fqname': fq,
    '#namespace': opts.namespace ?? '',
    '#subsystem': opts.subsystem ?? '',
    '#name': opts.name,
  };
  return (labels) =>
    format.replace(/%\{(#?[\w]+)\}/g, (_, k: string) =>
      k.startsWith('#') ? (own[k] ?? '') : clean(labels?.[k] ?? ''),
    );
}

export class StatsdProvider implements MetricsProvider {
  readonly #counters = new Map<string, number>();
  readonly #gauges = new Map<string, number>();
  #timings: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #udp: UdpSocket | undefined;
  #tcp: TcpSocket | undefined;
  /** TCP: when the next connection attempt may be made, and the wait after the one after it. */
  #reconnectAt = 0;
  #backoffMs = 0;
  #stopped = false;

  constructor(private readonly options: StatsdOptions) {}

  newCounter(opts: MetricOptions): Counter {
    const name = namer(opts);
    return {
      add: (d, l) => void this.#counters.set(name(l), (this.#counters.get(name(l)) ?? 0) + d),
    };
  }

  newGauge(opts: MetricOptions): Gauge {
    const name = namer(opts);
    return {
      set: (v, l) => void this.#gauges.set(name(l), v),
      add: (d, l) => void this.#gauges.set(name(l), (this.#gauges.get(name(l)) ?? 0) + d),
    };
  }

  newHistogram(opts: HistogramOptions): Histogram {
    const name = namer(opts);
    return {
      observe: (v, l) => void this.#timings.push(`${this.options.prefix}${name(l)}:${v}|ms`),
    };
  }

  /** Opens the connection and starts the periodic flush. */
  start(): Promise<void> {
    if (this.options.network === 'udp') {
      this.#udp = createSocket(this.options.host.includes(':') ? 'udp6' : 'udp4');
      this.#udp.on('error', () => undefined); // a missing collector must not crash the peer
      this.#udp.unref();
    } else {
      this.#connect();
    }
    this.#timer = setInterval(() => this.flush(), this.options.writeIntervalMs);
    this.#timer.unref();
    return Promise.resolve();
  }

  /**
   * Opens the TCP connection. A collector that is down or goes away must not crash the peer or
   * silence it for good (as go-kit's connection manager under Fabric's provider): when the
   * connection closes, the next flush reconnects, waiting longer after each failure (one write
   * interval, doubling up to a minute); lines due while there is no connection are dropped.
   */
  #connect(): void {
    const socket = connect({ host: this.options.host, port: this.options.port });
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      this.#backoffMs = 0;
    });
    socket.on('close', () => {
      if (this.#tcp !== socket) return;
      this.#tcp = undefined;
      this.#backoffMs = Math.min(
        MAX_RECONNECT_MS,
        Math.max(this.#backoffMs * 2, this.options.writeIntervalMs),
      );
      this.#reconnectAt = Date.now() + this.#backoffMs;
    });
    socket.unref();
    this.#tcp = socket;
  }

  /** The lines due now; counters and timings restart, gauges keep their value. */
  drain(): string[] {
    const p = this.options.prefix;
    const lines = [
      ...[...this.#counters].map(([n, v]) => `${p}${n}:${v}|c`),
      ...[...this.#gauges].map(([n, v]) => `${p}${n}:${v}|g`),
      ...this.#timings,
    ];
    this.#counters.clear();
    this.#timings = [];
    return lines;
  }

  /** Sends the lines due now (in datagrams of at most 1432 bytes over UDP). */
  flush(): void {
    void this.#flush();
  }

  /** Sends the lines due now; resolves once the socket has taken every payload. */
  #flush(): Promise<void> {
    if (
      this.options.network === 'tcp' &&
      this.#tcp === undefined &&
      !this.#stopped &&
      Date.now() >= this.#reconnectAt
    ) {
      this.#connect();
    }
    const payloads: string[] = [];
    let packet = '';
    for (const line of this.drain()) {
      if (packet !== '' && Buffer.byteLength(packet) + Buffer.byteLength(line) + 1 > MAX_PACKET) {
        payloads.push(packet);
        packet = '';
      }
      packet = packet === '' ? line : `${packet}\n${line}`;
    }
    if (packet !== '') payloads.push(packet);
    return Promise.all(payloads.map((payload) => this.#send(payload))).then(() => undefined);
  }

  /** Resolves when the socket is done with the payload (sent or failed: errors are dropped). */
  #send(payload: string): Promise<void> {
    return new Promise((resolve) => {
      if (this.#udp) this.#udp.send(payload, this.options.port, this.options.host, () => resolve());
      else if (this.#tcp) this.#tcp.write(`${payload}\n`, () => resolve());
      else resolve();
    });
  }

  /**
   * Flushes what is pending, then closes the socket once the last datagram has been handed to the
   * system (closing at once would drop it: a UDP send completes asynchronously). A collector that
   * never answers delays stop() by at most a second.
   */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stopped = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#flush(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 1000);
      }),
    ]);
    clearTimeout(timer);
    this.#udp?.close();
    this.#tcp?.end();
    this.#udp = undefined;
    this.#tcp = undefined;
  }
}
