/**
 * Loaded (`--require`) into every chaincode process this runtime starts without a pre-warmed
 * process, before the chaincode: what the pre-warmed process (zygote.cts) sets up for itself.
 * The process starts in the chaincode's folder.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
import setup = require('./library-setup.cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
import pipe = require('./message-pipe.cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('./orphan-guard.cjs');

setup.prepareLibrariesFor(process.cwd());
pipe.connectMessagePipe(process.cwd());
