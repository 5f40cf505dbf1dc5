/**
 * What this runtime changes in the libraries a chaincode process loads, in the copies the given
 * folder resolves, before the chaincode loads them: loggers that skip the levels they drop
 * (quiet-loggers.cts) and creator certificates parsed once (certificate-cache.cts). What the
 * chaincode sees of them does not change.
 */
// A CommonJS file under verbatimModuleSyntax imports with `import x = require()`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import certificates = require('./certificate-cache.cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import quiet = require('./quiet-loggers.cjs');

function prepareLibrariesFor(dir: string): void {
  quiet.quietLoggersFor(dir);
  certificates.rememberCertificatesFor(dir);
}

export = { prepareLibrariesFor };
