/**
 * Errors of the Docker chaincode runtime. Each carries a machine-readable `code` and, in `details`,
 * the engine endpoint and, where there is one, the chaincode ID, image or container involved.
 */
import { FabricPeerError } from '@fabric-peer/api';

/** Codes of {@link DockerRuntimeError}. */
export type DockerRuntimeErrorCode =
  /** The engine at `vm.endpoint` could not be reached (not running, wrong endpoint, no access). */
  | 'DOCKER_UNREACHABLE'
  /** The engine answered a request with an error. */
  | 'DOCKER_REQUEST_FAILED'
  /** The image `chaincode.node.runtime` names does not exist on the engine (nothing is pulled). */
  | 'DOCKER_RUNTIME_IMAGE_MISSING'
  /** `docker build` of a chaincode image failed; the message ends with the build log's tail. */
  | 'DOCKER_BUILD_FAILED'
  /** The chaincode package cannot be built into an image (layout, package.json, dependencies). */
  | 'DOCKER_INVALID_PACKAGE'
  /** The package type is not one this runtime builds (only `node`). */
  | 'DOCKER_UNSUPPORTED_TYPE'
  /** The chaincode ID does not make a valid Docker image name. */
  | 'DOCKER_INVALID_NAME'
  /** The chaincode container could not be created, prepared or started. */
  | 'DOCKER_START_FAILED';

/** A failure of the Docker chaincode runtime. */
export class DockerRuntimeError extends FabricPeerError {
  declare readonly code: DockerRuntimeErrorCode;

  constructor(
    code: DockerRuntimeErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
