// @fabric-peer/protos: Fabric's wire protocol as protobufjs static code, gRPC service definitions
// for @grpc/grpc-js, and small helpers. See the README.

/** The generated message namespaces, named after the .proto packages. */
export {
  common,
  msp,
  protos,
  orderer,
  etcdraft,
  rwset,
  kvrwset,
  queryresult,
  gossip,
  gateway,
  discovery,
  lifecycle,
  transientstore,
  grpc,
  google,
} from './generated/fabric.js';

export * from './generated/services.js';
/** The 64-bit integer class protobufjs decodes int64 and uint64 fields to. */
export { default as Long } from 'long';
export { computeTxId } from './txid.js';
export {
  timestampFromDate,
  timestampFromMillis,
  timestampNow,
  timestampToDate,
  timestampToMillis,
} from './timestamp.js';
export {
  decodeBlockDeep,
  decodeTree,
  encodeBlockDeep,
  encodeTree,
  nodeAt,
  walkTree,
  type BlockTreeChild,
  type BlockTreeNode,
  type BlockTreeOptions,
  type BlockTreePathStep,
  type BlockTreeStep,
  type LinkContext,
} from './block-tree.js';
export {
  descriptorEntries,
  isScalar,
  loadDescriptor,
  messageDescriptor,
  propertyName,
  resolveTypeName,
  type DescriptorEntry,
  type DescriptorField,
  type DescriptorObject,
} from './descriptor.js';
export { blockDataHash, blockHeaderBytes, blockHeaderHash } from './block-hash.js';
