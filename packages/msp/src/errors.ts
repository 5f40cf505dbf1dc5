import { FabricPeerError } from '@fabric-peer/api';

/** Why an MSP could not be built. */
export type MspErrorCode =
  /** The MSP configuration is refused (Fabric's Setup error). */
  | 'MSP_SETUP_FAILED'
  /** An MSP folder lacks something or holds something unreadable. */
  | 'MSP_FOLDER_INVALID'
  /** The MSP has no signing identity, or its key cannot be used. */
  | 'MSP_NO_SIGNER'
  /** Something this peer does not implement (an MSP type, a crypto provider). */
  | 'MSP_UNSUPPORTED';

/** An MSP could not be set up or loaded. `details.mspId` names it when it is known. */
export class MspError extends FabricPeerError {
  declare readonly code: MspErrorCode;

  constructor(
    code: MspErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
