/**
 * The errors devtools raises. Each message is one line that names the file and the field (or the
 * folder) at fault, so a command can print it as it is.
 */
import { FabricPeerError } from '@fabric-peer/api';

/** Machine-readable codes of {@link DevtoolsError}. */
export type DevtoolsErrorCode =
  /** The input (YAML or object) is malformed: bad YAML, an unknown key, a wrong type or value. */
  | 'DEVTOOLS_SPEC_INVALID'
  /** A file or folder the input names is missing or unreadable (an MSP folder, a TLS certificate). */
  | 'DEVTOOLS_INPUT_MISSING'
  /** The output cannot be written (it already exists, or the file system refused). */
  | 'DEVTOOLS_OUTPUT_FAILED';

/** A failure of `generateCrypto`, `buildGenesisBlock` or the loaders, with a one-line message. */
export class DevtoolsError extends FabricPeerError {
  declare readonly code: DevtoolsErrorCode;

  constructor(
    code: DevtoolsErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}

/** A malformed input: `where` is the file (or `spec`), `field` the dotted path inside it. */
export function invalidSpec(where: string, field: string, problem: string): DevtoolsError {
  const at = field === '' ? where : `${where}: ${field}`;
  return new DevtoolsError('DEVTOOLS_SPEC_INVALID', `${at}: ${problem}`, {
    details: { where, field },
  });
}
