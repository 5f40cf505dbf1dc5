/** DefaultDecorator: Fabric's identity decorator; the chaincode input passes unchanged. */
import { injectable, type Decorator } from '@fabric-peer/api';
import type { protos } from '@fabric-peer/protos';

@injectable()
export class DefaultDecorator implements Decorator {
  decorate(_proposal: protos.IProposal, input: protos.IChaincodeInput): protos.IChaincodeInput {
    return input;
  }
}
