// Decodes a block (or any message) all the way down: every bytes field that Fabric fills with
// another marshaled message is decoded in turn, as told by the LINKS table below, and the result is
// a tree of nodes that keep their original bytes. encodeTree rebuilds each level from its children,
// so a test can prove each level re-encodes to the exact original bytes, and a tool can change a
// message deep inside and get consistent bytes at every level above it.
//
// Bytes that cannot be decoded never make the decode throw: the node keeps the bytes and says why
// in `error`, and its siblings decode normally.
import * as fabric from './generated/fabric.js';
import {
  isScalar,
  messageDescriptor,
  propertyName,
  resolveTypeName,
  descriptorEntries,
  type DescriptorField,
} from './descriptor.js';

/** One decoded message of the tree. */
export interface BlockTreeNode<T = unknown> {
  /** Full protobuf name of the message, e.g. `common.Envelope`. */
  readonly type: string;
  /**
   * How the parent holds it: `bytes` (a bytes field holding the marshaled message), `embedded`
   * (an ordinary message field) or `root`.
   */
  readonly held: 'root' | 'bytes' | 'embedded';
  /**
   * The message's original encoding. For an embedded message it is the slice of the parent's
   * encoding that held it (or, if that slice cannot be told apart, its re-encoding).
   */
  readonly bytes: Buffer;
  /** The decoded message (static-module instance); absent when `error` is set. */
  readonly message?: T;
  /** Why `bytes` could not be decoded as `type`. The bytes are kept unchanged. */
  readonly error?: string;
  /**
   * Fields of a decoded message that could not be expanded (odd input), with the reason; they
   * stay as they are in `message`.
   */
  readonly fieldErrors?: Readonly<Record<string, string>>;
  /**
   * Decoded fields, by property name: a node; for a repeated field an array (holes where an
   * element was left as it was); for a map field a Map by key.
   */
  readonly children: Readonly<Record<string, BlockTreeChild>>;
}

/** What `BlockTreeNode.children` holds for one field. */
export type BlockTreeChild =
  | BlockTreeNode
  | readonly (BlockTreeNode | undefined)[]
  | ReadonlyMap<string, BlockTreeNode>;

/** Options of decodeTree / decodeBlockDeep. */
export interface BlockTreeOptions {
  /**
   * The channel's consensus type (`etcdraft`, `BFT`), which a block alone does not tell. With
   * `etcdraft`, the consenter metadata in the SIGNATURES slot is decoded down to
   * `etcdraft.BlockMetadata`; otherwise its value stays bytes.
   */
  consensusType?: string;
}

/** One step from an ancestor to its child: the field, and the index or map key. */
export interface BlockTreeStep {
  readonly node: BlockTreeNode;
  readonly field: string;
  readonly index?: number;
  readonly key?: string;
}

/** What a link resolver sees when deciding what a bytes field holds. */
export interface LinkContext {
  /** The decoded message that holds the bytes field. */
  readonly message: Record<string, unknown>;
  /** Children of that message decoded so far (fields are visited by field number). */
  readonly children: Readonly<Record<string, BlockTreeChild>>;
  /** Index of the value in a repeated bytes field. */
  readonly index?: number;
  /** How the holding message was reached from the root, nearest step last. */
  readonly path: readonly BlockTreeStep[];
  readonly options: BlockTreeOptions;
}

/** A message type name, or a function choosing one (undefined: leave the bytes as they are). */
type Link = string | ((ctx: LinkContext) => string | undefined);

const { HeaderType, BlockMetadataIndex, Policy, MSPPrincipal } = fabric.common;
const ENDORSER_TRANSACTION: number = HeaderType.ENDORSER_TRANSACTION;

/** What Payload.data holds, by ChannelHeader.type. MESSAGE and CHAINCODE_PACKAGE stay bytes. */
const PAYLOAD_DATA: Partial<Record<number, string>> = {
  [HeaderType.CONFIG]: 'common.ConfigEnvelope',
  [HeaderType.CONFIG_UPDATE]: 'common.ConfigUpdateEnvelope',
  [HeaderType.ENDORSER_TRANSACTION]: 'protos.Transaction',
  [HeaderType.ORDERER_TRANSACTION]: 'common.Envelope',
  [HeaderType.DELIVER_SEEK_INFO]: 'orderer.SeekInfo',
};

/** What Metadata.value holds, by block metadata slot. COMMIT_HASH and ORDERER hold plain bytes. */
const METADATA_VALUE: Partial<Record<number, string>> = {
  [BlockMetadataIndex.SIGNATURES]: 'common.OrdererBlockMetadata',
  [BlockMetadataIndex.LAST_CONFIG]: 'common.LastConfig',
};

/** What ConfigValue.value holds, by its key in ConfigGroup.values. */
const CONFIG_VALUES: Partial<Record<string, string>> = {
  // channel group
  HashingAlgorithm: 'common.HashingAlgorithm',
  BlockDataHashingStructure: 'common.BlockDataHashingStructure',
  OrdererAddresses: 'common.OrdererAddresses',
  Consortium: 'common.Consortium',
  Capabilities: 'common.Capabilities',
  // orderer group
  ConsensusType: 'orderer.ConsensusType',
  BatchSize: 'orderer.BatchSize',
  BatchTimeout: 'orderer.BatchTimeout',
  ChannelRestrictions: 'orderer.ChannelRestrictions',
  KafkaBrokers: 'orderer.KafkaBrokers',
  Orderers: 'common.Orderers',
  // organization groups
  MSP: 'msp.MSPConfig',
  Endpoints: 'common.OrdererAddresses',
  AnchorPeers: 'protos.AnchorPeers',
  // application group
  ACLs: 'protos.ACLs',
  // consortiums group (system channel)
  ChannelCreationPolicy: 'common.Policy',
};

/** What Policy.value holds, by Policy.type. */
const POLICY_VALUE: Partial<Record<number, string>> = {
  [Policy.PolicyType.SIGNATURE]: 'common.SignaturePolicyEnvelope',
  [Policy.PolicyType.IMPLICIT_META]: 'common.ImplicitMetaPolicy',
};

/** What MSPPrincipal.principal holds, by its classification. */
const PRINCIPALS: Partial<Record<number, string>> = {
  [MSPPrincipal.Classification.ROLE]: 'common.MSPRole',
  [MSPPrincipal.Classification.ORGANIZATION_UNIT]: 'common.OrganizationUnit',
  [MSPPrincipal.Classification.IDENTITY]: 'msp.SerializedIdentity',
  [MSPPrincipal.Classification.ANONYMITY]: 'common.MSPIdentityAnonymity',
  [MSPPrincipal.Classification.COMBINED]: 'common.CombinedPrincipal',
};

/** What MSPConfig.config holds, by MSPConfig.type (0 FABRIC, 1 IDEMIX). */
const MSP_CONFIG: Partial<Record<number, string>> = {
  0: 'msp.FabricMSPConfig',
  1: 'msp.IdemixMSPConfig',
};

/** What ConsensusType.metadata holds, by ConsensusType.type. */
const CONSENSUS_METADATA: Partial<Record<string, string>> = {
  etcdraft: 'etcdraft.ConfigMetadata',
  BFT: 'orderer.smartbft.Options',
};

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function channelHeaderType(ctx: LinkContext): number | undefined {
  const header = ctx.children['header'];
  if (!isNode(header)) return undefined;
  const channelHeader = header.children['channelHeader'];
  if (!isNode(channelHeader) || !channelHeader.message) return undefined;
  return num((channelHeader.message as Record<string, unknown>)['type']);
}

/**
 * What a common.Metadata's value holds: by block metadata slot, or, for the Metadata that wraps
 * OrdererBlockMetadata.consenter_metadata, the consensus type's block metadata.
 */
function metadataValue(ctx: LinkContext): string | undefined {
  const step = ctx.path[ctx.path.length - 1];
  if (step?.node.type === 'common.OrdererBlockMetadata') {
    return ctx.options.consensusType === 'etcdraft' ? 'etcdraft.BlockMetadata' : undefined;
  }
  if (step?.node.type === 'common.BlockMetadata') return METADATA_VALUE[step.index ?? -1];
  return undefined;
}

/**
 * The table: message type → bytes field (as named in the .proto file) → what those bytes hold.
 * Ordinary message fields need no entry: the walk descends into them whenever they can lead to
 * a bytes field listed here.
 */
const LINKS: Record<string, Record<string, Link>> = {
  'common.BlockData': { data: 'common.Envelope' },
  'common.BlockMetadata': {
    metadata: (c) => (c.index === BlockMetadataIndex.TRANSACTIONS_FILTER ? undefined : 'common.Metadata'),
  },
  'common.Metadata': { value: metadataValue },
  'common.MetadataSignature': {
    signature_header: 'common.SignatureHeader',
    identifier_header: 'common.IdentifierHeader',
  },
  // The orderer wraps its consensus metadata in a common.Metadata (see metadataValue).
  'common.OrdererBlockMetadata': { consenter_metadata: 'common.Metadata' },
  'common.Envelope': { payload: 'common.Payload' },
  'common.Payload': { data: (c) => PAYLOAD_DATA[channelHeaderType(c) ?? -1] },
  'common.Header': {
    channel_header: 'common.ChannelHeader',
    signature_header: 'common.SignatureHeader',
  },
  'common.ChannelHeader': {
    extension: (c) =>
      num(c.message['type']) === ENDORSER_TRANSACTION ? 'protos.ChaincodeHeaderExtension'
        : undefined,
  },
  'common.SignatureHeader': { creator: 'msp.SerializedIdentity' },

  // endorser transactions
  'protos.TransactionAction': {
    header: 'common.SignatureHeader',
    payload: 'protos.ChaincodeActionPayload',
  },
  'protos.ChaincodeActionPayload': { chaincode_proposal_payload: 'protos.ChaincodeProposalPayload' },
  'protos.ChaincodeProposalPayload': { input: 'protos.ChaincodeInvocationSpec' },
  'protos.ChaincodeEndorsedAction': { proposal_response_payload: 'protos.ProposalResponsePayload' },
  'protos.Endorsement': { endorser: 'msp.SerializedIdentity' },
  'protos.ProposalResponsePayload': { extension: 'protos.ChaincodeAction' },
  'protos.ChaincodeAction': { results: 'rwset.TxReadWriteSet', events: 'protos.ChaincodeEvent' },
  'rwset.NsReadWriteSet': { rwset: 'kvrwset.KVRWSet' },
  'rwset.CollectionHashedReadWriteSet': { hashed_rwset: 'kvrwset.HashedRWSet' },

  // proposals and proposal responses
  'protos.SignedProposal': { proposal_bytes: 'protos.Proposal' },
  'protos.Proposal': { header: 'common.Header', payload: 'protos.ChaincodeProposalPayload' },
  'protos.ProposalResponse': { payload: 'protos.ProposalResponsePayload' },

  // configuration
  'common.ConfigUpdateEnvelope': { config_update: 'common.ConfigUpdate' },
  'common.ConfigSignature': { signature_header: 'common.SignatureHeader' },
  'common.ConfigValue': {
    value: (c) => {
      const step = c.path[c.path.length - 1];
      return step?.field === 'values' ? CONFIG_VALUES[step.key ?? ''] : undefined;
    },
  },
  'common.Policy': { value: (c) => POLICY_VALUE[num(c.message['type'])] },
  'common.MSPPrincipal': {
    principal: (c) => PRINCIPALS[num(c.message['principalClassification'])],
  },
  'msp.MSPConfig': { config: (c) => MSP_CONFIG[num(c.message['type'])] },
  'orderer.ConsensusType': { metadata: (c) => CONSENSUS_METADATA[str(c.message['type'])] },
};

// ---------------------------------------------------------------------------------------------
// Schema: which fields to visit, checked against the descriptor once.

interface FieldPlan {
  name: string;
  prop: string;
  id: number;
  repeated: boolean;
  mapKeyType?: string;
  /** Full name of the message type of an embedded field that can lead to a link. */
  embedded?: string;
  link?: Link;
}

interface Codec {
  decode(bytes: Uint8Array): object;
  encode(message: object): { finish(): Uint8Array };
}

const plans = new Map<string, FieldPlan[]>();
const codecs = new Map<string, Codec>();

function codecFor(type: string): Codec {
  let codec = codecs.get(type);
  if (!codec) {
    let obj: unknown = fabric;
    for (const part of type.split('.')) obj = (obj as Record<string, unknown> | undefined)?.[part];
    const c = obj as Partial<Codec> | undefined;
    if (typeof c?.decode !== 'function' || typeof c.encode !== 'function') {
      throw new Error(`no generated message class for ${type}`);
    }
    codec = c as Codec;
    codecs.set(type, codec);
  }
  return codec;
}

function messageFieldType(owner: string, field: DescriptorField): string | undefined {
  if (isScalar(field.type)) return undefined;
  const full = resolveTypeName(owner, field.type);
  return descriptorEntries().get(full)?.kind === 'message' ? full : undefined;
}

/** Message types from which some LINKS entry can be reached, computed to a fixed point. */
function reachingTypes(): Set<string> {
  const reaching = new Set(Object.keys(LINKS));
  let grew = true;
  while (grew) {
    grew = false;
    for (const entry of descriptorEntries().values()) {
      if (entry.kind !== 'message' || reaching.has(entry.fullName)) continue;
      for (const field of Object.values(entry.def.fields ?? {})) {
        const t = messageFieldType(entry.fullName, field);
        if (t && reaching.has(t)) {
          reaching.add(entry.fullName);
          grew = true;
          break;
        }
      }
    }
  }
  return reaching;
}

function buildPlans(): void {
  const reaching = reachingTypes();
  for (const [type, links] of Object.entries(LINKS)) {
    const fields = messageDescriptor(type).fields;
    for (const name of Object.keys(links)) {
      const field = fields[name];
      if (field?.type !== 'bytes' || field.keyType) {
        throw new Error(`LINKS: ${type}.${name} is not a bytes field`);
      }
    }
    for (const target of Object.values(links)) {
      if (typeof target === 'string') codecFor(target);
    }
  }
  for (const type of reaching) {
    const desc = messageDescriptor(type);
    const plan: FieldPlan[] = [];
    for (const [name, field] of Object.entries(desc.fields)) {
      const link = LINKS[type]?.[name];
      const sub = messageFieldType(type, field);
      const embedded = sub && reaching.has(sub) ? sub : undefined;
      if (!link && !embedded) continue;
      plan.push({
        name,
        prop: propertyName(name, type),
        id: field.id,
        repeated: field.rule === 'repeated',
        ...(field.keyType ? { mapKeyType: field.keyType } : {}),
        ...(embedded ? { embedded } : {}),
        ...(link ? { link } : {}),
      });
    }
    plans.set(
      type,
      plan.sort((a, b) => a.id - b.id),
    );
  }
}

function planFor(type: string): readonly FieldPlan[] {
  if (plans.size === 0) buildPlans();
  return plans.get(type) ?? [];
}

// ---------------------------------------------------------------------------------------------
// Wire scanning, to find the original bytes of embedded messages.

function readVarint(buf: Buffer, pos: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const b = buf[pos + i];
    if (b === undefined) throw new RangeError('truncated varint');
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, pos + i + 1];
    scale *= 128;
  }
  throw new RangeError('varint too long');
}

/** The position just after the value of a field (wire type, field number) that starts at `pos`. */
function skipValue(buf: Buffer, pos: number, wireType: number, field: number): number {
  switch (wireType) {
    case 0:
      return readVarint(buf, pos)[1];
    case 1:
      return pos + 8;
    case 5:
      return pos + 4;
    case 2: {
      const [len, start] = readVarint(buf, pos);
      return start + len;
    }
    case 3: {
      // A (proto2) group: fields up to the matching end tag.
      for (;;) {
        const [tag, next] = readVarint(buf, pos);
        if (tag % 8 === 4) {
          if (Math.floor(tag / 8) !== field) throw new RangeError('mismatched end group');
          return next;
        }
        pos = skipValue(buf, next, tag % 8, Math.floor(tag / 8));
      }
    }
    default:
      throw new RangeError(`unsupported wire type ${wireType}`);
  }
}

/** Every length-delimited occurrence of field `id` in an encoded message, in wire order. */
function lengthDelimited(buf: Buffer, id: number): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [tag, afterTag] = readVarint(buf, pos);
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    pos = skipValue(buf, afterTag, wireType, field);
    if (pos > buf.length) throw new RangeError('truncated field');
    if (wireType === 2 && field === id) out.push(buf.subarray(readVarint(buf, afterTag)[1], pos));
  }
  return out;
}

/** The value bytes of each entry of a map<string, message> field, by key (last entry wins). */
function mapValues(buf: Buffer, id: number): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of lengthDelimited(buf, id)) {
    const key = lengthDelimited(entry, 1).pop()?.toString('utf8') ?? '';
    out.set(key, lengthDelimited(entry, 2).pop() ?? Buffer.alloc(0));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

interface MutableNode {
  type: string;
  held: BlockTreeNode['held'];
  bytes: Buffer;
  message?: Record<string, unknown>;
  error?: string;
  fieldErrors?: Record<string, string>;
  children: Record<string, BlockTreeChild>;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function isNode(child: BlockTreeChild | undefined): child is BlockTreeNode {
  return child !== undefined && !Array.isArray(child) && !(child instanceof Map);
}

function has(message: Record<string, unknown>, prop: string): boolean {
  return Object.prototype.hasOwnProperty.call(message, prop) && message[prop] != null;
}

function decodeBytes(
  type: string,
  bytes: Buffer,
  held: 'root' | 'bytes',
  path: BlockTreeStep[],
  options: BlockTreeOptions,
): BlockTreeNode {
  let message: Record<string, unknown>;
  try {
    message = codecFor(type).decode(bytes) as Record<string, unknown>;
  } catch (err) {
    return { type, held, bytes, error: err instanceof Error ? err.message : String(err), children: {} };
  }
  return expand({ type, held, bytes, message, children: {} }, path, options);
}

function embeddedNode(
  type: string,
  message: Record<string, unknown>,
  slice: Buffer | undefined,
  path: BlockTreeStep[],
  options: BlockTreeOptions,
): BlockTreeNode {
  const bytes = slice ?? asBuffer(codecFor(type).encode(message).finish());
  return expand({ type, held: 'embedded', bytes, message, children: {} }, path, options);
}

/** Decodes the children of a decoded node, field by field in field-number order. */
function expand(node: MutableNode, path: BlockTreeStep[], options: BlockTreeOptions): BlockTreeNode {
  const message = node.message;
  if (!message) return node;
  for (const field of planFor(node.type)) {
    if (!has(message, field.prop)) continue;
    const value = message[field.prop];
    const step = (extra: { index?: number; key?: string }): BlockTreeStep[] => [
      ...path,
      { node, field: field.prop, ...extra },
    ];
    try {
      if (field.link) {
        const link = field.link;
        const one = (bytes: unknown, index?: number): BlockTreeNode | undefined => {
          if (!(bytes instanceof Uint8Array) || bytes.length === 0) return undefined;
          const ctx: LinkContext = { message, children: node.children, path, options, index };
          const target = typeof link === 'string' ? link : link(ctx);
          if (!target) return undefined;
          return decodeBytes(target, asBuffer(bytes), 'bytes', step({ index }), options);
        };
        if (field.repeated) {
          const list = (value as unknown[]).map((v, i) => one(v, i));
          if (list.some((n) => n)) node.children[field.prop] = list;
        } else {
          const child = one(value);
          if (child) node.children[field.prop] = child;
        }
      } else if (field.embedded) {
        const type = field.embedded;
        if (field.mapKeyType) {
          const slices = field.mapKeyType === 'string' ? mapValues(node.bytes, field.id) : new Map<string, Buffer>();
          const map = new Map<string, BlockTreeNode>();
          for (const [key, sub] of Object.entries(value as Record<string, Record<string, unknown>>)) {
            map.set(key, embeddedNode(type, sub, slices.get(key), step({ key }), options));
          }
          node.children[field.prop] = map;
        } else if (field.repeated) {
          const list = value as Record<string, unknown>[];
          const slices = lengthDelimited(node.bytes, field.id);
          const exact = slices.length === list.length;
          node.children[field.prop] = list.map((sub, index) =>
            embeddedNode(type, sub, exact ? slices[index] : undefined, step({ index }), options),
          );
        } else {
          const slices = lengthDelimited(node.bytes, field.id);
          const sub = value as Record<string, unknown>;
          node.children[field.prop] = embeddedNode(
            type,
            sub,
            slices.length === 1 ? slices[0] : undefined,
            step({}),
            options,
          );
        }
      }
    } catch (err) {
      // A resolver or a scan failed on odd input: leave this field as it is, keep going.
      delete node.children[field.prop];
      node.fieldErrors ??= {};
      node.fieldErrors[field.prop] = err instanceof Error ? err.message : String(err);
    }
  }
  return node;
}

/**
 * Decodes `bytes` as the message `type` (a full name such as `protos.SignedProposal`), then every
 * bytes field the link table knows, recursively. Never throws on bad input: undecodable bytes
 * become a node with `error` set.
 */
export function decodeTree(type: string, bytes: Uint8Array, options: BlockTreeOptions = {}): BlockTreeNode {
  return decodeBytes(type, asBuffer(bytes), 'root', [], options);
}

/** decodeTree of a `common.Block`: envelopes, payloads, transactions, rwsets, config, metadata. */
export function decodeBlockDeep(
  bytes: Uint8Array,
  options: BlockTreeOptions = {},
): BlockTreeNode<fabric.common.Block> {
  return decodeTree('common.Block', bytes, options) as BlockTreeNode<fabric.common.Block>;
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** A copy of the message's own fields (including preserved unknown fields), children applied. */
function rebuild(node: BlockTreeNode): Record<string, unknown> {
  const source = node.message as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const key of Object.getOwnPropertyNames(source)) copy[key] = source[key];
  for (const [prop, child] of Object.entries(node.children)) {
    if (isNode(child)) {
      copy[prop] = valueOf(child);
    } else if (Array.isArray(child)) {
      const original = source[prop] as unknown[];
      copy[prop] = original.map((v, i) => {
        const c = (child as readonly (BlockTreeNode | undefined)[])[i];
        return c ? valueOf(c) : v;
      });
    } else {
      const map = { ...(source[prop] as Record<string, unknown>) };
      for (const [key, c] of child as ReadonlyMap<string, BlockTreeNode>) map[key] = valueOf(c);
      copy[prop] = map;
    }
  }
  return copy;
}

function valueOf(child: BlockTreeNode): unknown {
  return child.held === 'embedded' && child.message ? rebuild(child) : encodeTree(child);
}

/**
 * Encodes a node from its decoded message and children, every level re-encoded from the level
 * below. A node that could not be decoded gives back its original bytes.
 */
export function encodeTree(node: BlockTreeNode): Buffer {
  if (!node.message) return node.bytes;
  return asBuffer(codecFor(node.type).encode(rebuild(node)).finish());
}

/** encodeTree of a block tree. */
export function encodeBlockDeep(tree: BlockTreeNode): Buffer {
  return encodeTree(tree);
}

// ---------------------------------------------------------------------------------------------
// Navigation

/** A step of a tree path: a field name, then an index (repeated) or a key (map) when needed. */
export type BlockTreePathStep = string | number;

/** Visits every node depth-first, with the path that leads to it from `root`. */
export function walkTree(
  root: BlockTreeNode,
  visit: (node: BlockTreeNode, path: readonly BlockTreePathStep[]) => void,
): void {
  const go = (node: BlockTreeNode, path: BlockTreePathStep[]): void => {
    visit(node, path);
    for (const [prop, child] of Object.entries(node.children)) {
      if (isNode(child)) go(child, [...path, prop]);
      else if (Array.isArray(child)) {
        (child as readonly (BlockTreeNode | undefined)[]).forEach((c, i) => {
          if (c) go(c, [...path, prop, i]);
        });
      } else {
        for (const [key, c] of child as ReadonlyMap<string, BlockTreeNode>) go(c, [...path, prop, key]);
      }
    }
  };
  go(root, []);
}

/**
 * The node at a path such as `nodeAt(block, 'data', 'data', 0, 'payload', 'data')`, or undefined.
 * The type parameter is an unchecked convenience for the message type.
 */
export function nodeAt<T = unknown>(
  root: BlockTreeNode,
  ...path: BlockTreePathStep[]
): BlockTreeNode<T> | undefined {
  let current: BlockTreeChild | undefined = root;
  for (const step of path) {
    if (current === undefined) return undefined;
    if (Array.isArray(current)) {
      current = typeof step === 'number' ? (current as readonly (BlockTreeNode | undefined)[])[step] : undefined;
    } else if (current instanceof Map) {
      current = (current as ReadonlyMap<string, BlockTreeNode>).get(String(step));
    } else {
      current = typeof step === 'string' ? (current as BlockTreeNode).children[step] : undefined;
    }
  }
  return isNode(current) ? (current as BlockTreeNode<T>) : undefined;
}
