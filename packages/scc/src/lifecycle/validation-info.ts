/**
 * The validation info a V2_0 channel's validator uses (Fabric's valinforetriever
 * ValidationInfoRetrieveShim): `_lifecycle`'s, else lscc's with a `vscc` SignaturePolicyEnvelope
 * turned into the ApplicationPolicy the v2.0 `vscc` expects.
 */
import {
  ChaincodeError,
  type ChaincodeValidationInfo,
  type ValidationInfoSource,
} from '@fabric-peer/chaincode';
import type { SimpleQueryExecutor } from '@fabric-peer/ledger';
import { common, protos } from '@fabric-peer/protos';
import { LifecycleError } from './errors.js';

export interface ValidationInfoSourcesOptions {
  /** `_lifecycle` definitions (a LifecycleDefinitions). */
  readonly lifecycle: ValidationInfoSource;
  /** lscc definitions (a LegacyDefinitions). */
  readonly legacy: ValidationInfoSource;
}

export function createValidationInfoSource(
  options: ValidationInfoSourcesOptions,
): ValidationInfoSource {
  return {
    async validationInfo(
      channelId: string,
      namespace: string,
      state: SimpleQueryExecutor,
    ): Promise<ChaincodeValidationInfo> {
      try {
        return await options.lifecycle.validationInfo(channelId, namespace, state);
      } catch (err) {
        if (!(err instanceof ChaincodeError && err.code === 'CHAINCODE_NOT_DEFINED')) throw err;
      }
      const info = await options.legacy.validationInfo(channelId, namespace, state);
      if (info.validationPlugin !== 'vscc' || info.validationParameter.length === 0) return info;
      let envelope: common.SignaturePolicyEnvelope;
      try {
        envelope = common.SignaturePolicyEnvelope.decode(info.validationParameter);
      } catch {
        // A policy that cannot be read is passed on unchanged, as Fabric does.
        return info;
      }
      return {
        validationPlugin: 'vscc',
        validationParameter: protos.ApplicationPolicy.encode({
          signaturePolicy: envelope,
        }).finish(),
      };
    },

    /**
     * Fabric's CollectionValidationInfo: `_lifecycle`'s answer; empty bytes for a namespace
     * `_lifecycle` does not define (lscc chaincode has no collection-level policy here); a
     * collection the definition lacks is COLLECTION_NOT_DEFINED (the transaction is invalid).
     */
    async collectionValidationInfo(
      channelId: string,
      namespace: string,
      collection: string,
      state: SimpleQueryExecutor,
    ): Promise<Uint8Array> {
      const lookup = options.lifecycle.collectionValidationInfo?.bind(options.lifecycle);
      if (lookup === undefined) return new Uint8Array();
      try {
        return await lookup(channelId, namespace, collection, state);
      } catch (err) {
        if (err instanceof ChaincodeError && err.code === 'CHAINCODE_NOT_DEFINED') {
          return new Uint8Array();
        }
        if (err instanceof LifecycleError && err.code === 'LIFECYCLE_REFUSED') {
          throw new ChaincodeError('COLLECTION_NOT_DEFINED', err.message, { cause: err });
        }
        throw err;
      }
    },
  };
}
