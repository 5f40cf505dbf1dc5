/** A MetricsProvider that keeps every counter's value by name and labels, for assertions. */
import type {
  Counter,
  Gauge,
  Histogram,
  MetricLabels,
  MetricOptions,
  MetricsProvider,
} from '@fabric-peer/api';

export class RecordingMetrics implements MetricsProvider {
  readonly values = new Map<string, number>();

  #key(name: string, labels?: MetricLabels): string {
    const parts = Object.entries(labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .sort();
    return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
  }

  /** A metric's value: for these labels, or summed over all labels when none are given. */
  get(name: string, labels?: MetricLabels): number {
    if (labels !== undefined) return this.values.get(this.#key(name, labels)) ?? 0;
    let sum = 0;
    for (const [k, v] of this.values) if (k === name || k.startsWith(`${name}{`)) sum += v;
    return sum;
  }

  #add(opts: MetricOptions, delta: number, labels?: MetricLabels): void {
    const name = [opts.namespace, opts.subsystem, opts.name].filter((p) => p).join('_');
    const k = this.#key(name, labels);
    this.values.set(k, (this.values.get(k) ?? 0) + delta);
  }

  newCounter(opts: MetricOptions): Counter {
    return { add: (delta, labels) => this.#add(opts, delta, labels) };
  }

  newGauge(opts: MetricOptions): Gauge {
    return {
      set: (value, labels) => this.values.set(this.#key(opts.name, labels), value),
      add: (delta, labels) => this.#add(opts, delta, labels),
    };
  }

  newHistogram(): Histogram {
    return { observe: () => undefined };
  }
}
