/**
 * `metrics.provider: prometheus`: metrics kept in a prom-client registry of this peer's own (no
 * global registry), with Node's process metrics, served by the operations server at /metrics.
 */
import type {
  Counter,
  Gauge,
  Histogram,
  HistogramOptions,
  MetricLabels,
  MetricOptions,
  MetricsProvider,
} from '@fabric-peer/api';
import * as prom from 'prom-client';

/** Fabric's fully qualified name: namespace_subsystem_name, empty parts left out. */
export function fqName(opts: MetricOptions): string {
  return [opts.namespace, opts.subsystem, opts.name]
    .filter((p) => p !== undefined && p !== '')
    .join('_');
}

export class PrometheusProvider implements MetricsProvider {
  readonly registry = new prom.Registry();
  readonly #made = new Map<
    string,
    { kind: 'counter' | 'gauge' | 'histogram'; labels: string; metric: Counter | Gauge | Histogram }
  >();

  constructor() {
    prom.collectDefaultMetrics({ register: this.registry });
  }

  /**
   * One metric per name, as Fabric's provider: asking again returns the same metric, and asking for
   * a name already used by another kind or with other labels is a programming error, said at once.
   */
  #once<T extends Counter | Gauge | Histogram>(
    kind: 'counter' | 'gauge' | 'histogram',
    opts: MetricOptions,
    make: (name: string) => T,
  ): T {
    const name = fqName(opts);
    const labels = (opts.labelNames ?? []).join(',');
    const existing = this.#made.get(name);
    if (existing) {
      if (existing.kind !== kind || existing.labels !== labels) {
        throw new Error(
          `metric ${name} already exists as a ${existing.kind} with labels [${existing.labels}]; cannot make it a ${kind} with labels [${labels}]`,
        );
      }
      return existing.metric as T;
    }
    const metric = make(name);
    this.#made.set(name, { kind, labels, metric });
    return metric;
  }

  newCounter(opts: MetricOptions): Counter {
    return this.#once('counter', opts, (name) => {
      const c = new prom.Counter({
        name,
        help: opts.help,
        labelNames: [...(opts.labelNames ?? [])],
        registers: [this.registry],
      });
      return {
        add: (delta: number, labels?: MetricLabels) =>
          labels ? c.inc(labels, delta) : c.inc(delta),
      };
    });
  }

  newGauge(opts: MetricOptions): Gauge {
    return this.#once('gauge', opts, (name) => {
      const g = new prom.Gauge({
        name,
        help: opts.help,
        labelNames: [...(opts.labelNames ?? [])],
        registers: [this.registry],
      });
      return {
        set: (value: number, labels?: MetricLabels) =>
          labels ? g.set(labels, value) : g.set(value),
        add: (delta: number, labels?: MetricLabels) =>
          labels ? g.inc(labels, delta) : g.inc(delta),
      };
    });
  }

  newHistogram(opts: HistogramOptions): Histogram {
    return this.#once('histogram', opts, (name) => {
      const h = new prom.Histogram({
        name,
        help: opts.help,
        labelNames: [...(opts.labelNames ?? [])],
        ...(opts.buckets ? { buckets: [...opts.buckets] } : {}),
        registers: [this.registry],
      });
      return {
        observe: (value: number, labels?: MetricLabels) =>
          labels ? h.observe(labels, value) : h.observe(value),
      };
    });
  }

  /** The Prometheus text exposition of every metric. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
