/**
 * @fabric-peer/testkit: helpers for the repository's tests, and for tests only. It is private,
 * never published, and no package may depend on it at run time (devDependencies only).
 *
 * - PKI ({@link makeCa}, {@link makeIntermediate}, {@link issue}, {@link makeCrl},
 *   {@link writePair}): CAs, intermediate CAs, CRLs and leaf certificates for TLS servers, TLS
 *   clients and signing identities, with any subject (OUs) and validity, ECDSA P-256 by default
 *   (P-384 and Ed25519 on request), made with @peculiar/x509 over Node's WebCrypto.
 * - Network ({@link freePort}, {@link occupyPort}, {@link tryConnect}, {@link httpRequest}).
 * - Fakes ({@link fakeConfig}, {@link recordingLoggers}, {@link silentLoggers}).
 * - Synthetic chains ({@link ChainBuilder}, {@link endorserTx}, {@link configTx},
 *   {@link rwsetBytes}): blocks with given read-write sets, numbered and hash-chained, unsigned.
 * - A real CouchDB-protocol server ({@link startPouchDbServer}): pouchdb-server in memory.
 *
 * @packageDocumentation
 */
export {
  issue,
  makeCa,
  makeCrl,
  makeIntermediate,
  writePair,
  type CertOptions,
  type CertUsage,
  type CrlOptions,
  type IntermediateOptions,
  type KeyAlgorithm,
  type LeafOptions,
  type TestCa,
  type TestCert,
  type TestCrl,
} from './pki.js';
export {
  freePort,
  httpRequest,
  occupyPort,
  tryConnect,
  type HeldPort,
  type HttpAnswer,
  type HttpRequestOptions,
  type TlsMaterial,
} from './net.js';
export {
  fakeConfig,
  recordingLoggers,
  silentLoggers,
  type FakeConfigOptions,
  type LogRecord,
} from './fakes.js';
export { startPouchDbServer, type TestCouchServer } from './couch.js';
export {
  ChainBuilder,
  TEST_CHANNEL,
  configTx,
  endorserTx,
  newTxId,
  rwsetBytes,
  text,
  utf8,
  type EndorserTxOptions,
  type NsSets,
} from './blocks.js';
