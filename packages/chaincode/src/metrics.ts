/**
 * Fabric's chaincode metrics (core/chaincode/metrics.go), created only when a provider is given.
 */
import type { Counter, Histogram, MetricsProvider } from '@fabric-peer/api';

/** The handler's metrics (Fabric's HandlerMetrics). */
export interface HandlerMetrics {
  readonly shimRequestsReceived: Counter;
  readonly shimRequestsCompleted: Counter;
  readonly shimRequestDuration: Histogram;
  readonly executeTimeouts: Counter;
}

/** The launcher's metrics (Fabric's LaunchMetrics). */
export interface LaunchMetrics {
  readonly launchDuration: Histogram;
  readonly launchFailures: Counter;
  readonly launchTimeouts: Counter;
}

export function handlerMetrics(provider: MetricsProvider): HandlerMetrics {
  return {
    shimRequestsReceived: provider.newCounter({
      namespace: 'chaincode',
      name: 'shim_requests_received',
      help: 'The number of chaincode shim requests received.',
      labelNames: ['type', 'channel', 'chaincode'],
      statsdFormat: '%{#fqname}.%{type}.%{channel}.%{chaincode}',
    }),
    shimRequestsCompleted: provider.newCounter({
      namespace: 'chaincode',
      name: 'shim_requests_completed',
      help: 'The number of chaincode shim requests completed.',
      labelNames: ['type', 'channel', 'chaincode', 'success'],
      statsdFormat: '%{#fqname}.%{type}.%{channel}.%{chaincode}.%{success}',
    }),
    shimRequestDuration: provider.newHistogram({
      namespace: 'chaincode',
      name: 'shim_request_duration',
      help: 'The time to complete chaincode shim requests.',
      labelNames: ['type', 'channel', 'chaincode', 'success'],
      statsdFormat: '%{#fqname}.%{type}.%{channel}.%{chaincode}.%{success}',
    }),
    executeTimeouts: provider.newCounter({
      namespace: 'chaincode',
      name: 'execute_timeouts',
      help: 'The number of chaincode executions (Init or Invoke) that have timed out.',
      labelNames: ['chaincode'],
      statsdFormat: '%{#fqname}.%{chaincode}',
    }),
  };
}

export function launchMetrics(provider: MetricsProvider): LaunchMetrics {
  return {
    launchDuration: provider.newHistogram({
      namespace: 'chaincode',
      name: 'launch_duration',
      help: 'The time to launch a chaincode.',
      labelNames: ['chaincode', 'success'],
      statsdFormat: '%{#fqname}.%{chaincode}.%{success}',
    }),
    launchFailures: provider.newCounter({
      namespace: 'chaincode',
      name: 'launch_failures',
      help: 'The number of chaincode launches that have failed.',
      labelNames: ['chaincode'],
      statsdFormat: '%{#fqname}.%{chaincode}',
    }),
    launchTimeouts: provider.newCounter({
      namespace: 'chaincode',
      name: 'launch_timeouts',
      help: 'The number of chaincode launches that have timed out.',
      labelNames: ['chaincode'],
      statsdFormat: '%{#fqname}.%{chaincode}',
    }),
  };
}
