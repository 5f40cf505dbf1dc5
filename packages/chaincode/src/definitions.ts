/**
 * The peer's ChaincodeDefinitionSource: system chaincodes answered here (version `syscc`, plugin
 * `escc`, id `<name>.syscc`), others from `_lifecycle` when given, else from the legacy (lscc)
 * source, as Fabric's lifecycle falls back to its LegacyImpl.
 */
import type { SimpleQueryExecutor } from '@fabric-peer/ledger';
import { ChaincodeError } from './errors.js';
import {
  SYSCC_VERSION,
  systemChaincodeId,
  type ChaincodeDefinitionSource,
  type ChaincodeEndorsementInfo,
} from './types.js';

export interface ChaincodeDefinitionsOptions {
  /** Names of the deployed system chaincodes (a live set is fine). */
  readonly systemChaincodes: { has(name: string): boolean };
  /** Legacy lscc definitions. */
  readonly legacy: ChaincodeDefinitionSource;
  /** `_lifecycle` definitions, consulted first. */
  readonly lifecycle?: ChaincodeDefinitionSource;
}

export function createChaincodeDefinitions(
  options: ChaincodeDefinitionsOptions,
): ChaincodeDefinitionSource {
  const system = new Map<string, ChaincodeEndorsementInfo>();
  return {
    async endorsementInfo(
      channelId: string,
      chaincodeName: string,
      qe: SimpleQueryExecutor | undefined,
    ): Promise<ChaincodeEndorsementInfo> {
      if (options.systemChaincodes.has(chaincodeName)) {
        let info = system.get(chaincodeName);
        if (info === undefined) {
          info = {
            version: SYSCC_VERSION,
            enforceInit: false,
            endorsementPlugin: 'escc',
            chaincodeId: systemChaincodeId(chaincodeName),
          };
          system.set(chaincodeName, info);
        }
        return info;
      }
      const lifecycle = options.lifecycle;
      if (lifecycle !== undefined && (lifecycle.definesOn?.(channelId) ?? true)) {
        try {
          return await lifecycle.endorsementInfo(channelId, chaincodeName, qe);
        } catch (err) {
          if (!(err instanceof ChaincodeError && err.code === 'CHAINCODE_NOT_DEFINED')) throw err;
        }
      }
      return options.legacy.endorsementInfo(channelId, chaincodeName, qe);
    },
  };
}
