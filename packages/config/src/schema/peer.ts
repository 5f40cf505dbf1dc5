/**
 * `peer`: identity, addresses, gateway, keepalive, TLS, crypto provider, MSP, delivery client,
 * discovery, limits. Gossip and handlers have their own modules.
 */

import {
  address,
  asPath,
  bool,
  duration,
  float,
  int,
  intOneOf,
  listOf,
  nullable,
  oneOf,
  record,
  str,
  stringList,
} from '../formats.js';
import { derivedKey, key } from './define.js';
import { gossipSchema } from './gossip.js';
import { handlersSchema } from './handlers.js';

/** `peer.deliveryclient.addressOverrides[]`: an orderer endpoint to replace when met in a channel config. */
export interface AddressOverride {
  from: string;
  to: string;
  caCertsFile: string | null;
}

/** `peer.BCCSP.PKCS11.KeyIds[]`: maps a subject key identifier to a token object's CKA_ID. */
export interface KeyIdMapping {
  SKI: string;
  ID: string;
}

// gRPC message sizes are int32 in Fabric.
const INT32_MAX = 2_147_483_647;

const path = () => asPath(str({ required: true }));
const optionalPath = () => nullable(asPath(str({ required: true })));

function keepaliveSchema() {
  return {
    interval: key(
      duration(),
      '7200s',
      'Idle time after which the peer server pings a client to check it is still there.',
    ),
    timeout: key(
      duration(),
      '20s',
      'How long the peer server waits for the answer to a ping before closing the connection.',
    ),
    minInterval: key(
      duration(),
      '60s',
      'Shortest interval between pings a client may use; clients pinging more often are disconnected.',
    ),
    client: {
      interval: key(
        duration(),
        '60s',
        'Time between pings to other peers (at least their minInterval).',
      ),
      timeout: key(
        duration(),
        '20s',
        'How long to wait for a peer to answer a ping before dropping the connection.',
      ),
    },
    deliveryClient: {
      interval: key(
        duration(),
        '60s',
        'Time between pings to ordering nodes (at least their minInterval).',
      ),
      timeout: key(
        duration(),
        '20s',
        'How long to wait for an ordering node to answer a ping before dropping the connection.',
      ),
    },
  };
}

function tlsSchema() {
  return {
    enabled: key(bool(), false, 'Serve the peer port over TLS.'),
    clientAuthRequired: key(
      bool(),
      false,
      'Require clients to present a certificate (mutual TLS) on the peer port.',
    ),
    cert: { file: key(path(), 'tls/server.crt', 'PEM certificate of the TLS server.') },
    key: { file: key(path(), 'tls/server.key', 'PEM private key of the TLS server.') },
    rootcert: {
      file: key(
        path(),
        'tls/ca.crt',
        "PEM root CA chain trusted for outbound TLS connections, besides the channels' TLS CAs.",
      ),
    },
    clientRootCAs: {
      files: key(
        asPath(stringList()),
        ['tls/ca.crt'],
        "Extra PEM root CAs trusted for client certificates under mutual TLS, besides the channels' TLS CAs.",
      ),
    },
    clientKey: {
      file: key(
        optionalPath(),
        null,
        'PEM private key for outbound TLS client connections; empty uses peer.tls.key.file.',
      ),
    },
    clientCert: {
      file: key(
        optionalPath(),
        null,
        'PEM certificate for outbound TLS client connections; empty uses peer.tls.cert.file.',
      ),
    },
    serverhostoverride: key(
      nullable(str()),
      null,
      'Host name expected in the server certificate when this file configures a client (CLI use).',
    ),
  };
}

function bccspSchema() {
  return {
    Default: key(
      oneOf(['SW', 'PKCS11']),
      'SW',
      'Crypto provider: SW (software) or PKCS11 (a hardware token).',
    ),
    SW: {
      Hash: key(oneOf(['SHA2', 'SHA3']), 'SHA2', 'Hash family of the software provider.'),
      Security: key(
        intOneOf([256, 384]),
        256,
        'Security level (bits) of the software provider: 256 or 384.',
      ),
      FileKeyStore: {
        KeyStore: key(
          optionalPath(),
          null,
          'Folder of the private keys; empty means <mspConfigPath>/keystore.',
        ),
      },
    },
    PKCS11: {
      Library: key(nullable(str()), null, 'Path of the PKCS#11 module (shared library).'),
      Label: key(nullable(str()), null, 'Label of the token to use.'),
      Pin: key(nullable(str()), null, 'User PIN of the token.', { sensitive: true }),
      Hash: key(nullable(oneOf(['SHA2', 'SHA3'])), null, 'Hash family used with the token.'),
      Security: key(
        nullable(intOneOf([256, 384])),
        null,
        'Security level (bits) used with the token: 256 or 384.',
      ),
      SoftwareVerify: key(
        nullable(bool()),
        null,
        'Verify signatures in software instead of on the token.',
      ),
      Immutable: key(nullable(bool()), null, 'Mark keys created on the token as not modifiable.'),
      AltID: key(nullable(str()), null, 'Alternative CKA_ID scheme for keys on the token.'),
      KeyIds: key(
        nullable(
          listOf(
            record<KeyIdMapping>({
              fields: {
                SKI: { format: str({ required: true }), required: true },
                ID: { format: str({ required: true }), required: true },
              },
            }),
          ),
        ),
        null,
        'Maps subject key identifiers (SKI) to token object IDs, for keys not found by SKI.',
      ),
    },
  };
}

function deliveryClientSchema() {
  return {
    blockGossipEnabled: key(
      bool(),
      true,
      'Pass the blocks pulled from the ordering service on to the other peers of the organisation by gossip.',
    ),
    reconnectTotalTimeThreshold: key(
      duration(),
      '3600s',
      'Total time spent retrying a lost ordering-service connection before giving up (not for static leaders).',
    ),
    connTimeout: key(duration(), '3s', 'Timeout for connecting to an ordering node.'),
    reConnectBackoffThreshold: key(
      duration(),
      '3600s',
      'Longest wait between reconnection attempts (the wait grows exponentially up to this).',
    ),
    addressOverrides: key(
      nullable(
        listOf(
          record<AddressOverride>({
            fields: {
              from: { format: address(), required: true },
              to: { format: address(), required: true },
              caCertsFile: { format: optionalPath(), fallback: null, path: true },
            },
          }),
          { yamlFromEnv: true },
        ),
      ),
      null,
      'Orderer endpoints to replace (from → to, with the CA certificates for "to") when found in channel configs.',
    ),
    policy: key(
      oneOf(['cluster', 'simple']),
      'cluster',
      'Block deliverer for BFT channels (v3): cluster (BFT deliverer with censorship detection) or simple (CFT deliverer).',
    ),
    blockCensorshipTimeoutKey: key(
      duration(),
      '30s',
      'BFT (v3): how long a block may lag behind the headers of other orderers before the peer switches source.',
    ),
    minimalReconnectInterval: key(
      duration(),
      '100ms',
      'BFT (v3): first wait before reconnecting; it grows on each failed attempt.',
    ),
  };
}

/** Schema of `peer`. */
export function peerSchema() {
  return {
    id: key(
      str({ required: true }),
      'jdoe',
      'Name of this peer; also used to name its chaincode containers.',
    ),
    networkId: key(
      str({ required: true }),
      'dev',
      'Name of the network, to keep the resources of separate networks apart.',
    ),
    listenAddress: key(address(), '0.0.0.0:7051', 'Address the peer service listens on.'),
    chaincodeListenAddress: derivedKey(
      address(),
      'Address the peer listens on for chaincode connections.',
      'the host of peer.address with port 7052',
    ),
    chaincodeAddress: derivedKey(
      address(),
      'Address the chaincode launched by this peer is told to connect to.',
      'peer.chaincodeListenAddress',
    ),
    address: key(
      address(),
      '0.0.0.0:7051',
      'Endpoint other peers of the organisation (and clients) use to reach this peer.',
    ),
    addressAutoDetect: key(
      bool(),
      false,
      'Replace the host of peer.address with the detected local IP address.',
    ),
    connectiontimeout: key(
      duration(),
      '5s',
      'How long the peer server waits for a new connection to complete its handshake.',
    ),
    gateway: {
      enabled: key(bool(), true, 'Serve the Gateway service on the peer port.'),
      endorsementTimeout: key(
        duration(),
        '30s',
        'How long the gateway waits for endorsing peers to respond.',
      ),
      broadcastTimeout: key(
        duration(),
        '30s',
        'How long the gateway waits for the ordering service to accept a transaction.',
      ),
      dialTimeout: key(duration(), '2m', 'How long the gateway waits to connect to another node.'),
    },
    keepalive: keepaliveSchema(),
    gossip: gossipSchema(),
    tls: tlsSchema(),
    authentication: {
      timewindow: key(
        duration(),
        '15m',
        "Largest accepted difference between the peer's clock and the timestamp of a request.",
      ),
    },
    fileSystemPath: key(
      path(),
      '/var/hyperledger/production',
      'Folder of the peer data (ledgers, chaincode packages, transient store); keep it access-controlled.',
    ),
    BCCSP: bccspSchema(),
    mspConfigPath: key(path(), 'msp', 'Folder of the local MSP (certificates and keys).'),
    localMspId: key(
      str({ required: true }),
      'SampleOrg',
      'ID of the local MSP; it must match the MSP ID of this organisation in every channel config.',
    ),
    client: {
      connTimeout: key(duration(), '3s', 'Connection timeout of the CLI client.'),
    },
    deliveryclient: deliveryClientSchema(),
    localMspType: key(
      oneOf(['bccsp']),
      'bccsp',
      'Type of the local MSP; the peer only runs with bccsp (X.509).',
    ),
    profile: {
      enabled: key(bool(), false, 'Serve a profiling endpoint (never in production).'),
      listenAddress: key(address(), '0.0.0.0:6060', 'Address of the profiling endpoint.'),
    },
    handlers: handlersSchema(),
    validatorPoolSize: key(
      nullable(int({ min: 0 })),
      null,
      'How many transactions are validated in parallel; empty or 0 means the number of CPUs.',
    ),
    discovery: {
      enabled: key(bool(), true, 'Serve the discovery service.'),
      authCacheEnabled: key(bool(), true, 'Cache the results of discovery access checks.'),
      authCacheMaxSize: key(
        int({ min: 0 }),
        1000,
        'Entries in the discovery access cache before it is purged.',
      ),
      authCachePurgeRetentionRatio: key(
        float({ min: 0, max: 1 }),
        0.75,
        'Share of the access cache kept when it is purged (0 to 1).',
      ),
      orgMembersAllowedAccess: key(
        bool(),
        false,
        'Let non-admin members of the organisation make queries that are not about a channel.',
      ),
    },
    limits: {
      concurrency: {
        endorserService: key(
          int({ min: 0 }),
          2500,
          'Most proposals processed at once by the Endorser service; 0 means no limit.',
        ),
        deliverService: key(
          int({ min: 0 }),
          2500,
          'Most block/event streams served at once by the Deliver service; 0 means no limit.',
        ),
        gatewayService: key(
          int({ min: 0 }),
          500,
          'Most requests handled at once by the Gateway service; 0 means no limit.',
        ),
      },
    },
    maxRecvMsgSize: key(
      int({ min: 0, max: INT32_MAX }),
      104857600,
      'Largest gRPC message the peer accepts, in bytes.',
    ),
    maxSendMsgSize: key(
      int({ min: 0, max: INT32_MAX }),
      104857600,
      'Largest gRPC message the peer sends, in bytes.',
    ),
  };
}
