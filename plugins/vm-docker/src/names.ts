/**
 * Names of chaincode images and containers, derived exactly as Fabric's dockercontroller derives
 * them, so that a host shared with Fabric peers (or an earlier Fabric peer's images) follows one rule.
 */
import { createHash } from 'node:crypto';
import { DockerRuntimeError } from './errors.js';

/** Characters Fabric replaces with `-` in image and container names. */
const VM_INVALID = /[^a-zA-Z0-9\-_.]/g;
/** Docker's repository naming rule, as Fabric checks it. */
const IMAGE_NAME = /^[a-z0-9]+(([._-][a-z0-9]+)+)?$/;

/** Who the names belong to: `peer.networkId` and `peer.id`. */
export interface NameScope {
  readonly networkId: string;
  readonly peerId: string;
}

/** Fabric's preFormatImageName: `<networkId>-<peerId>-<ccid>`, leaving out empty parts. */
function preFormat(scope: NameScope, ccid: string): string {
  const { networkId, peerId } = scope;
  if (networkId !== '' && peerId !== '') return `${networkId}-${peerId}-${ccid}`;
  if (networkId !== '') return `${networkId}-${ccid}`;
  if (peerId !== '') return `${peerId}-${ccid}`;
  return ccid;
}

/** The container name (Fabric's GetVMName): invalid characters become `-`; case is kept. */
export function containerName(scope: NameScope, ccid: string): string {
  return preFormat(scope, ccid).replace(VM_INVALID, '-');
}

/**
 * The image name (Fabric's GetVMNameForDocker): `:` becomes `-` (pre-2.0 IDs used `-`), the
 * SHA-256 of that name is appended in hex, invalid characters become `-`, and all is lower case.
 * Throws DOCKER_INVALID_NAME, in Fabric's words, when the result breaks Docker's naming rule.
 */
export function imageName(scope: NameScope, ccid: string): string {
  const name = preFormat(scope, ccid).replaceAll(':', '-');
  const hash = createHash('sha256').update(name, 'utf8').digest('hex');
  const image = `${name.replace(VM_INVALID, '-')}-${hash}`.toLowerCase();
  if (!IMAGE_NAME.test(image)) {
    throw new DockerRuntimeError(
      'DOCKER_INVALID_NAME',
      `Error constructing Docker VM Name. '${image}' breaks Docker's repository naming rules`,
      { details: { chaincodeId: ccid, image } },
    );
  }
  return image;
}
