/** `metrics.provider: disabled` (Fabric's default): metrics cost nothing and go nowhere. */
import type { Counter, Gauge, Histogram, MetricsProvider } from '@fabric-peer/api';

const counter: Counter = { add: () => undefined };
const gauge: Gauge = { set: () => undefined, add: () => undefined };
const histogram: Histogram = { observe: () => undefined };

export class DisabledProvider implements MetricsProvider {
  newCounter(): Counter {
    return counter;
  }
  newGauge(): Gauge {
    return gauge;
  }
  newHistogram(): Histogram {
    return histogram;
  }
}
