/** Fabric's deliver metrics (common/deliver/metrics.go): same names, labels and statsd formats. */
import type { Counter, MetricsProvider } from '@fabric-peer/api';

export interface DeliverMetrics {
  readonly streamsOpened: Counter;
  readonly streamsClosed: Counter;
  readonly requestsReceived: Counter;
  readonly requestsCompleted: Counter;
  readonly blocksSent: Counter;
}

const noop: Counter = { add: () => undefined };

export function deliverMetrics(provider: MetricsProvider | undefined): DeliverMetrics {
  if (provider === undefined) {
    return {
      streamsOpened: noop,
      streamsClosed: noop,
      requestsReceived: noop,
      requestsCompleted: noop,
      blocksSent: noop,
    };
  }
  const namespace = 'deliver';
  return {
    streamsOpened: provider.newCounter({
      namespace,
      name: 'streams_opened',
      help: 'The number of GRPC streams that have been opened for the deliver service.',
    }),
    streamsClosed: provider.newCounter({
      namespace,
      name: 'streams_closed',
      help: 'The number of GRPC streams that have been closed for the deliver service.',
    }),
    requestsReceived: provider.newCounter({
      namespace,
      name: 'requests_received',
      help: 'The number of deliver requests that have been received.',
      labelNames: ['channel', 'filtered', 'data_type'],
      statsdFormat: '%{#fqname}.%{channel}.%{filtered}.%{data_type}',
    }),
    requestsCompleted: provider.newCounter({
      namespace,
      name: 'requests_completed',
      help: 'The number of deliver requests that have been completed.',
      labelNames: ['channel', 'filtered', 'data_type', 'success'],
      statsdFormat: '%{#fqname}.%{channel}.%{filtered}.%{data_type}.%{success}',
    }),
    blocksSent: provider.newCounter({
      namespace,
      name: 'blocks_sent',
      help: 'The number of blocks sent by the deliver service.',
      labelNames: ['channel', 'filtered', 'data_type'],
      statsdFormat: '%{#fqname}.%{channel}.%{filtered}.%{data_type}',
    }),
  };
}
