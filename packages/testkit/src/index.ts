/**
 * @fabric-peer/testkit: helpers for the repository's tests, and for tests only. It is private,
 * never published, and no package may depend on it at run time (devDependencies only).
 *
 * - PKI ({@link makeCa}, {@link issue}, {@link writePair}): ECDSA P-256 CAs and leaf certificates
 *   for TLS servers, TLS clients and signing identities, with any validity, made with
 *   @peculiar/x509 over Node's WebCrypto.
 * - Network ({@link freePort}, {@link occupyPort}, {@link tryConnect}, {@link httpRequest}).
 * - Fakes ({@link fakeConfig}, {@link recordingLoggers}, {@link silentLoggers}).
 *
 * @packageDocumentation
 */
export {
  issue,
  makeCa,
  writePair,
  type CertOptions,
  type CertUsage,
  type LeafOptions,
  type TestCa,
  type TestCert,
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
