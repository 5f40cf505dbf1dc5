/**
 * Chaincode definitions from lscc's state (Fabric's lscc ChaincodeEndorsementInfo with its
 * LegacySecurity check, and lscc's ValidationInfo), for chaincode `_lifecycle` does not define.
 */
import {
  ChaincodeError,
  type ChaincodeDefinitionSource,
  type ChaincodeEndorsementInfo,
  type ChaincodeValidationInfo,
  type ValidationInfoSource,
} from '@fabric-peer/chaincode';
import type { LegacyChaincodeStore } from '@fabric-peer/chaincode-packages';
import type { SimpleQueryExecutor } from '@fabric-peer/ledger';
import { LifecycleError } from './lifecycle/errors.js';
import { messageOf } from './util.js';
import { decodeChaincodeData, sameFingerprint, type ChaincodeData } from './wire.js';

export interface LegacyDefinitionsOptions {
  /**
   * The installed legacy packages. When given, a definition is only usable if the package it
   * names is installed with the same fingerprint and instantiation policy (Fabric's security
   * check); without it, definitions are taken as they are (e.g. on a peer that only validates).
   */
  readonly store?: LegacyChaincodeStore;
}

interface Validated {
  readonly data: Uint8Array;
  readonly instantiationPolicy?: Uint8Array;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(b);
}

export class LegacyDefinitions implements ChaincodeDefinitionSource, ValidationInfoSource {
  /** Packages already checked, by `name:version` (Fabric's PackageCache). */
  readonly #validated = new Map<string, Validated>();

  constructor(private readonly options: LegacyDefinitionsOptions = {}) {}

  async endorsementInfo(
    channelId: string,
    chaincodeName: string,
    qe: SimpleQueryExecutor | undefined,
  ): Promise<ChaincodeEndorsementInfo> {
    const notFound = (): ChaincodeError =>
      new ChaincodeError('CHAINCODE_NOT_DEFINED', `chaincode ${chaincodeName} not found`, {
        details: { channelId, chaincode: chaincodeName },
      });
    if (qe === undefined) throw notFound();
    let bytes: Uint8Array | undefined;
    try {
      bytes = await qe.getState('lscc', chaincodeName);
    } catch (err) {
      throw new ChaincodeError(
        'CHAINCODE_NOT_DEFINED',
        `could not retrieve state for chaincode ${chaincodeName}: ${messageOf(err)}`,
        { cause: err },
      );
    }
    if (bytes === undefined || bytes.length === 0) throw notFound();
    let cd: ChaincodeData;
    try {
      cd = decodeChaincodeData(bytes);
    } catch (err) {
      throw new ChaincodeError(
        'CHAINCODE_NOT_DEFINED',
        `chaincode ${chaincodeName} has bad definition: ${messageOf(err)}`,
        { cause: err },
      );
    }
    if (this.options.store !== undefined) await this.securityCheck(cd, this.options.store);
    return {
      version: cd.version,
      enforceInit: false,
      endorsementPlugin: cd.escc,
      chaincodeId: `${cd.name}:${cd.version}`,
    };
  }

  /**
   * Fabric's lscc ValidationInfo: plugin ChaincodeData.vscc, parameter ChaincodeData.policy (a
   * marshaled SignaturePolicyEnvelope) as stored. CHAINCODE_NOT_DEFINED ("chaincode X not found")
   * when lscc has no definition; DEFINITION_UNREADABLE (Fabric's unexpected error) when the state
   * cannot be read or decoded.
   */
  async validationInfo(
    channelId: string,
    namespace: string,
    state: SimpleQueryExecutor,
  ): Promise<ChaincodeValidationInfo> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await state.getState('lscc', namespace);
    } catch (err) {
      throw new LifecycleError(
        'DEFINITION_UNREADABLE',
        `could not retrieve state for chaincode ${namespace}: ${messageOf(err)}`,
        { cause: err },
      );
    }
    if (bytes === undefined || bytes.length === 0) {
      throw new ChaincodeError('CHAINCODE_NOT_DEFINED', `chaincode ${namespace} not found`, {
        details: { channelId, chaincode: namespace },
      });
    }
    let cd: ChaincodeData;
    try {
      cd = decodeChaincodeData(bytes);
    } catch (err) {
      throw new LifecycleError(
        'DEFINITION_UNREADABLE',
        `chaincode ${namespace} has bad definition: ${messageOf(err)}`,
        { cause: err },
      );
    }
    return { validationPlugin: cd.vscc, validationParameter: cd.policy };
  }

  /** Fabric's SecurityCheckLegacyChaincode. */
  private async securityCheck(cd: ChaincodeData, store: LegacyChaincodeStore): Promise<void> {
    const ccid = `${cd.name}:${cd.version}`;
    const failed = (message: string): ChaincodeError =>
      new ChaincodeError('CHAINCODE_NOT_INSTALLED', `failed security checks: ${message}`, {
        details: { chaincodeId: ccid },
      });
    let fs = this.#validated.get(ccid);
    if (fs === undefined) {
      const installed = await store.get(cd.name, cd.version);
      if (installed === undefined) {
        throw failed(`invalid deployment spec: could not find chaincode ${ccid} on this peer`);
      }
      let same: boolean;
      try {
        same = sameFingerprint(installed.data, cd.data);
      } catch (err) {
        throw failed(`chaincode fingerprint mismatch: ${messageOf(err)}`);
      }
      if (!same) throw failed('chaincode fingerprint mismatch: data mismatch');
      fs = {
        data: installed.data,
        ...(installed.instantiationPolicy !== undefined
          ? { instantiationPolicy: installed.instantiationPolicy }
          : {}),
      };
      this.#validated.set(ccid, fs);
    }
    if (
      fs.instantiationPolicy !== undefined &&
      !bytesEqual(fs.instantiationPolicy, cd.instantiationPolicy)
    ) {
      throw failed(`Instantiation policy mismatch for cc ${ccid}`);
    }
  }
}
