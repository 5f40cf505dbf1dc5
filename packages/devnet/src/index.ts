/**
 * `@fabric-peer/devnet`: the one-command development network — dev crypto, a channel, the
 * development orderer, a peer and the sample chaincode deployed through `_lifecycle`, in one
 * process and one folder — and the connection file its clients read. See the README.
 *
 * @packageDocumentation
 */
export {
  DEFAULT_DEVNET_DIR,
  SAMPLE_CORE_YAML,
  startDevNetwork,
  type DevNetwork,
  type DevNetworkOptions,
} from './network.js';
export {
  DEFAULT_PORTS,
  coreYamlSettings,
  renderCoreYaml,
  type CoreYamlOptions,
  type DevNetworkPorts,
} from './core-yaml.js';
export { PORT_FLAGS, checkPortsFree, validPort } from './ports.js';
export {
  readConnectionFile,
  writeConnectionFile,
  type ConnectionFile,
  type DevConnection,
} from './connection.js';
export {
  CHANNEL_ID,
  CONNECTION_FILE,
  DEVNET_LAYOUT,
  MANIFEST_FILE,
  inspectDir,
  layoutPaths,
  type DevnetManifest,
  type DirState,
  type LayoutPaths,
} from './layout.js';
export { SAMPLE_CHAINCODE, SAMPLE_CHAINCODE_DIR, packageNodeChaincode } from './chaincode.js';
export {
  buildSignedProposal,
  transactionEnvelope,
  type BuiltProposal,
  type ProposalSigner,
  type ProposalSpec,
} from './proposal.js';
export { EndorserClient, broadcast } from './clients.js';
export { DevnetError, type DevnetErrorCode } from './errors.js';
