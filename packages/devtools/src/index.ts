// @fabric-peer/devtools: what a development network needs without Fabric's binaries — MSP trees
// in cryptogen's layout and application channel genesis blocks. See the README.

export { DevtoolsError, type DevtoolsErrorCode } from './errors.js';
export {
  loadCryptoConfig,
  validateCryptoConfig,
  type CryptoConfig,
  type NodeSpec,
  type NodeTemplate,
  type OrgSpec,
} from './crypto-config.js';
export { generateCrypto, type CryptoOutput, type GenerateCryptoOptions } from './cryptogen.js';
export {
  SAMPLE_ACLS,
  type CapabilityList,
  type ConsenterDefinition,
  type GenesisSpec,
  type OrdererDefinition,
  type OrgDefinition,
  type PolicyDefinition,
  type PolicyMap,
} from './genesis-spec.js';
export {
  buildGenesisBlock,
  buildGenesisBlockFromFile,
  type BuildGenesisOptions,
  type GenesisBlock,
} from './genesis.js';
export { implicitMetaFromString, signaturePolicyFromString } from './policy-dsl.js';
