/** `operations`: the HTTP server of /healthz, /metrics, /logspec and /version, and its TLS. */

import { address, asPath, bool, nullable, str, stringList } from '../formats.js';
import { key } from './define.js';

/** Schema of `operations`. */
export function operationsSchema() {
  return {
    listenAddress: key(address(), '127.0.0.1:9443', 'Address of the operations server.'),
    tls: {
      enabled: key(bool(), false, 'Serve the operations endpoints over TLS.'),
      cert: {
        file: key(nullable(asPath(str())), null, 'PEM certificate of the operations server.'),
      },
      key: {
        file: key(nullable(asPath(str())), null, 'PEM private key of the operations server.'),
      },
      clientAuthRequired: key(
        bool(),
        false,
        'Require a client certificate for every operations request.',
      ),
      clientRootCAs: {
        files: key(asPath(stringList()), [], 'PEM CA certificates trusted for operations clients.'),
      },
    },
  };
}
