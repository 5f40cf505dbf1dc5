/**
 * `@fabric-peer/committer`: block verification, transaction validation (Fabric's v20 validator with
 * validation plugins, in parallel), private data from the transient store, and commit through the
 * ledger. See the README.
 *
 * @packageDocumentation
 */
export {
  Committer,
  DEFAULT_TRANSIENT_BLOCK_RETENTION,
  type CommittedBlock,
  type CommitterOptions,
  type PrivateDataOptions,
} from './committer.js';
export { CommitterError, type CommitterErrorCode } from './errors.js';
export {
  blockSignatureSet,
  isConfigBlock,
  verifyBlockSignatures,
  verifyBlockStructure,
  type ChainPosition,
} from './block-verifier.js';
export {
  TxValidator,
  type BlockValidation,
  type Precheck,
  type PrecheckPool,
  type TxValidatorOptions,
  type ValidationPluginFactory,
} from './validator.js';
export { createValidationPolicyEvaluator } from './policy-evaluator.js';
export {
  openTransientStore,
  TransientStore,
  type ChannelTransientStore,
  type PrivateDataRequest,
  type TransientEntry,
} from './transient-store.js';
export {
  collectPrivateData,
  memberOrgsEligibility,
  type BlockPrivateData,
  type CollectionEligibility,
} from './pvtdata.js';
export { ValidatorPool, defaultValidatorPoolSize, type ValidatorPoolOptions } from './pool.js';
export { committerSettings, type CommitterSettings } from './settings.js';
