/**
 * Logging and metrics as plugins see them. The peer binds implementations (the logging package and
 * the configured metrics provider); plugins inject these identifiers and never import them.
 */

/** A module logger; `fields` are structured data rendered beside the message. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger for the dotted sub-module `<this module>.<name>`. */
  child(name: string): Logger;
}

/** Returns the logger of a dotted module name, e.g. `core.plugins`; levels follow the logspec. */
export type LoggerFactory = (module: string) => Logger;
/** Identifier of the {@link LoggerFactory}. */
export const LoggerFactory: unique symbol = Symbol.for('@fabric-peer/api/LoggerFactory');

/** Labels of one sample, by label name. */
export type MetricLabels = Readonly<Record<string, string>>;

/** Options shared by every metric, following Fabric's metrics.Opts (the name is `namespace_subsystem_name`). */
export interface MetricOptions {
  readonly namespace?: string;
  readonly subsystem?: string;
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
  /**
   * How statsd names a sample, as Fabric's StatsdFormat: `%{#fqname}` (dotted namespace.subsystem.name)
   * and `%{label}` for label values. Default: the fqname followed by each label value.
   */
  readonly statsdFormat?: string;
}

export interface Counter {
  add(delta: number, labels?: MetricLabels): void;
}
export interface Gauge {
  set(value: number, labels?: MetricLabels): void;
  add(delta: number, labels?: MetricLabels): void;
}
export interface Histogram {
  /** Records one observation, in the metric's unit (seconds for durations, as Fabric does). */
  observe(value: number, labels?: MetricLabels): void;
}
export interface HistogramOptions extends MetricOptions {
  readonly buckets?: readonly number[];
}

/**
 * Creates metrics, as Fabric's metrics.Provider does; `metrics.provider` in core.yaml chooses the
 * implementation (disabled, prometheus, statsd). Creating the same metric twice returns the same one.
 */
export interface MetricsProvider {
  newCounter(opts: MetricOptions): Counter;
  newGauge(opts: MetricOptions): Gauge;
  newHistogram(opts: HistogramOptions): Histogram;
}
/** Identifier of the {@link MetricsProvider}. */
export const MetricsProvider: unique symbol = Symbol.for('@fabric-peer/api/MetricsProvider');
