/** `metrics`: which metrics provider the peer uses, and the StatsD settings. */

import { address, duration, nullable, oneOf, str } from '../formats.js';
import { key } from './define.js';

/** Schema of `metrics`. */
export function metricsSchema() {
  return {
    provider: key(
      oneOf(['disabled', 'prometheus', 'statsd']),
      'disabled',
      'disabled, prometheus (served at /metrics of the operations server) or statsd (pushed).',
    ),
    statsd: {
      network: key(oneOf(['udp', 'tcp']), 'udp', 'Transport to the StatsD server: udp or tcp.'),
      address: key(address(), '127.0.0.1:8125', 'host:port of the StatsD server.'),
      writeInterval: key(
        duration(),
        '10s',
        'How often counters and gauges are pushed (timings are pushed at once).',
      ),
      prefix: key(nullable(str()), null, 'Prefix of every metric name sent to StatsD.'),
    },
  };
}
