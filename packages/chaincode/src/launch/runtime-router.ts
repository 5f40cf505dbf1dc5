/**
 * Fabric's container router: finds the installed package of a chaincode id and builds it with the
 * first configured runtime (`vm.providers`, in order) that accepts it.
 */
import type { ChaincodeInstance, VmProvider } from '@fabric-peer/api';
import { ChaincodeError } from '../errors.js';
import type { InstalledChaincodes } from '../types.js';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class RuntimeRouter {
  constructor(
    private readonly installed: InstalledChaincodes,
    private readonly runtimes: () => readonly VmProvider[],
  ) {}

  /** Builds `chaincodeId`; throws CHAINCODE_NOT_INSTALLED, NO_RUNTIME or LAUNCH_FAILED. */
  async build(chaincodeId: string): Promise<ChaincodeInstance> {
    const pkg = await this.installed.get(chaincodeId);
    if (pkg === undefined) {
      throw new ChaincodeError(
        'CHAINCODE_NOT_INSTALLED',
        `failed to get chaincode package: chaincode install package '${chaincodeId}' not found`,
        { details: { chaincodeId } },
      );
    }
    const providers = this.runtimes();
    for (const provider of providers) {
      let accepts: boolean;
      try {
        accepts = await provider.accepts(pkg);
      } catch (err) {
        throw new ChaincodeError(
          'LAUNCH_FAILED',
          `runtime ${provider.name} failed to inspect chaincode package ${chaincodeId}: ${messageOf(err)}`,
          { cause: err },
        );
      }
      if (!accepts) continue;
      try {
        return await provider.build(chaincodeId, pkg);
      } catch (err) {
        throw new ChaincodeError(
          'LAUNCH_FAILED',
          `error building chaincode: ${provider.name} build failed: ${messageOf(err)}`,
          { cause: err, details: { chaincodeId, runtime: provider.name } },
        );
      }
    }
    throw new ChaincodeError(
      'NO_RUNTIME',
      `no chaincode runtime accepts package ${chaincodeId} of type ${pkg.type} (vm.providers: ${
        providers.map((p) => p.name).join(', ') || 'none'
      })`,
      { details: { chaincodeId, type: pkg.type } },
    );
  }
}
