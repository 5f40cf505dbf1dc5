/**
 * A configtxgen `-outputBlock` equivalent for an application channel joined through the channel
 * participation API: the channel's config tree as configtxgen's encoder builds it, wrapped in the
 * genesis block its genesis factory makes.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  blockDataHash,
  common,
  computeTxId,
  etcdraft,
  msp,
  orderer,
  protos,
} from '@fabric-peer/protos';
import { DevtoolsError } from './errors.js';
import {
  defaultOrgPolicies,
  mergePolicies,
  resolveGenesisSpec,
  type GenesisSpec,
  type ResolvedGenesis,
  type ResolvedOrg,
  type ResolvedPolicy,
} from './genesis-spec.js';
import { readYamlFile, reason } from './input.js';
import { readMspFolder, type MspFolder } from './msp-folder.js';
import { implicitMetaFromString, signaturePolicyFromString } from './policy-dsl.js';

/** Options of {@link buildGenesisBlock}. */
export interface BuildGenesisOptions {
  /** Folder that relative paths in the spec start from; default the current directory. */
  readonly baseDir?: string;
  /** The name errors use for the input (a file path); default `spec`. */
  readonly source?: string;
  /** The channel header's timestamp (whole seconds are kept, as configtxgen does); default now. */
  readonly timestamp?: Date;
  /** The signature header's nonce (24 bytes in configtxgen); default random. */
  readonly nonce?: Uint8Array;
}

/** A genesis block and what describes it. */
export interface GenesisBlock {
  /** The marshaled `common.Block`, what `configtxgen -outputBlock` writes. */
  readonly bytes: Uint8Array;
  readonly channelId: string;
  readonly txId: string;
  /** Application and orderer organizations, by MSP id. */
  readonly applicationOrgs: readonly string[];
  readonly ordererOrgs: readonly string[];
  /** Non-fatal findings (MSP files skipped, NodeOU certificates missing), one line each. */
  readonly warnings: readonly string[];
}

const ADMINS = 'Admins';
const ORDERER_ADMINS = '/Channel/Orderer/Admins';

/** Go's deterministic map order: keys sorted. */
function sorted<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key] as T;
  return out;
}

type Group = {
  groups: Record<string, Group>;
  values: Record<string, common.ConfigValue.$Properties>;
  policies: Record<string, common.ConfigPolicy.$Properties>;
  modPolicy: string;
};

function newGroup(): Group {
  return { groups: {}, values: {}, policies: {}, modPolicy: ADMINS };
}

function finish(g: Group): common.ConfigGroup.$Properties {
  return {
    groups: sorted(Object.fromEntries(Object.entries(g.groups).map(([k, v]) => [k, finish(v)]))),
    values: sorted(g.values),
    policies: sorted(g.policies),
    modPolicy: g.modPolicy,
  };
}

function value(bytes: Uint8Array, modPolicy = ADMINS): common.ConfigValue.$Properties {
  return { value: bytes, modPolicy };
}

function addPolicies(g: Group, policies: Readonly<Record<string, ResolvedPolicy>>): void {
  for (const [name, p] of Object.entries(policies)) {
    const policy: common.Policy.$Properties =
      p.type === 'ImplicitMeta'
        ? {
            type: common.Policy.PolicyType.IMPLICIT_META,
            value: common.ImplicitMetaPolicy.encode(implicitMetaFromString(p.rule)).finish(),
          }
        : {
            type: common.Policy.PolicyType.SIGNATURE,
            value: common.SignaturePolicyEnvelope.encode(
              signaturePolicyFromString(p.rule),
            ).finish(),
          };
    g.policies[name] = { policy, modPolicy: ADMINS };
  }
}

function capabilities(caps: Readonly<Record<string, boolean>>): Uint8Array {
  const map: Record<string, common.Capability.$Properties> = {};
  for (const [name, on] of Object.entries(caps)) if (on) map[name] = {};
  return common.Capabilities.encode({ capabilities: sorted(map) }).finish();
}

async function readCert(file: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (err) {
    throw new DevtoolsError(
      'DEVTOOLS_INPUT_MISSING',
      `${what}: cannot read ${file}: ${reason(err)}`,
      {
        cause: err,
      },
    );
  }
}

/** Reads an org's MSP folder; errors name the spec field as well as the folder. */
async function readOrgMsp(spec: ResolvedGenesis, org: ResolvedOrg): Promise<MspFolder> {
  try {
    return await readMspFolder(org.mspDir, org.mspId);
  } catch (err) {
    if (!(err instanceof DevtoolsError)) throw err;
    // "<file>: orgs[1].mspDir: <folder>: MSP folder not found"
    throw new DevtoolsError(err.code, `${spec.where}: ${org.path}.mspDir: ${err.message}`, {
      cause: err,
      details: err.details,
    });
  }
}

function orgGroup(
  spec: ResolvedGenesis,
  org: ResolvedOrg,
  folder: MspFolder,
  kind: 'orderer' | 'application',
): Group {
  const g = newGroup();
  const policies = mergePolicies(
    defaultOrgPolicies(org.mspId, kind === 'orderer', folder.nodeOUs),
    org.policies,
    ['Readers', 'Writers', 'Admins'],
    spec.where,
    `${org.path}.policies`,
  );
  addPolicies(g, policies);
  g.values.MSP = value(msp.MSPConfig.encode(folder.config).finish());
  if (kind === 'orderer' && org.ordererEndpoints.length > 0) {
    g.values.Endpoints = value(
      common.OrdererAddresses.encode({ addresses: [...org.ordererEndpoints] }).finish(),
    );
  }
  if (kind === 'application' && org.anchorPeers.length > 0) {
    g.values.AnchorPeers = value(
      protos.AnchorPeers.encode({ anchorPeers: org.anchorPeers.map((p) => ({ ...p })) }).finish(),
    );
  }
  return g;
}

async function channelGroup(spec: ResolvedGenesis, warnings: string[]): Promise<Group> {
  // Read every input file first, in the order the spec names them.
  const folders = new Map<ResolvedOrg, MspFolder>();
  for (const org of spec.orgs) {
    const folder = await readOrgMsp(spec, org);
    warnings.push(...folder.warnings);
    folders.set(org, folder);
  }
  const folderOf = (org: ResolvedOrg): MspFolder => {
    const f = folders.get(org);
    if (f === undefined) throw new Error(`internal: MSP folder of ${org.name} not read`);
    return f;
  };
  const channel = newGroup();
  addPolicies(channel, spec.policies.channel);
  channel.values.HashingAlgorithm = value(
    common.HashingAlgorithm.encode({ name: 'SHA256' }).finish(),
  );
  channel.values.BlockDataHashingStructure = value(
    common.BlockDataHashingStructure.encode({ width: 0xffff_ffff }).finish(),
  );
  if (spec.orderer.addresses.length > 0) {
    channel.values.OrdererAddresses = value(
      common.OrdererAddresses.encode({ addresses: [...spec.orderer.addresses] }).finish(),
      ORDERER_ADMINS,
    );
  }
  if (Object.keys(spec.capabilities.channel).length > 0) {
    channel.values.Capabilities = value(capabilities(spec.capabilities.channel));
  }

  // Orderer group
  const ord = newGroup();
  addPolicies(ord, spec.policies.orderer);
  const o = spec.orderer;
  ord.values.BatchSize = value(
    orderer.BatchSize.encode({
      maxMessageCount: o.maxMessageCount,
      absoluteMaxBytes: o.absoluteMaxBytes,
      preferredMaxBytes: o.preferredMaxBytes,
    }).finish(),
  );
  ord.values.BatchTimeout = value(
    orderer.BatchTimeout.encode({ timeout: o.batchTimeout }).finish(),
  );
  ord.values.ChannelRestrictions = value(orderer.ChannelRestrictions.encode({}).finish());
  if (Object.keys(spec.capabilities.orderer).length > 0) {
    ord.values.Capabilities = value(capabilities(spec.capabilities.orderer));
  }
  const consenters: etcdraft.Consenter.$Properties[] = [];
  for (const c of o.consenters) {
    consenters.push({
      host: c.host,
      port: c.port,
      clientTlsCert: await readCert(c.clientTLSCert, `${spec.where}: ${c.path}.clientTLSCert`),
      serverTlsCert: await readCert(c.serverTLSCert, `${spec.where}: ${c.path}.serverTLSCert`),
    });
  }
  const metadata = etcdraft.ConfigMetadata.encode({
    consenters,
    options: { ...o.options },
  }).finish();
  ord.values.ConsensusType = value(
    orderer.ConsensusType.encode({ type: 'etcdraft', metadata }).finish(),
  );
  for (const org of spec.orgs.filter((x) => x.orderer)) {
    ord.groups[org.name] = orgGroup(spec, org, folderOf(org), 'orderer');
  }
  channel.groups.Orderer = ord;

  // Application group
  const app = newGroup();
  addPolicies(app, spec.policies.application);
  if (Object.keys(spec.acls).length > 0) {
    const acls: Record<string, protos.APIResource.$Properties> = {};
    for (const [resource, policyRef] of Object.entries(spec.acls)) acls[resource] = { policyRef };
    app.values.ACLs = value(protos.ACLs.encode({ acls: sorted(acls) }).finish());
  }
  if (Object.keys(spec.capabilities.application).length > 0) {
    app.values.Capabilities = value(capabilities(spec.capabilities.application));
  }
  for (const org of spec.orgs.filter((x) => x.application)) {
    app.groups[org.name] = orgGroup(spec, org, folderOf(org), 'application');
  }
  channel.groups.Application = app;
  return channel;
}

/**
 * Builds the genesis block of an application channel from a genesis spec (see the README for the
 * format): the block configtxgen writes with `-outputBlock` for a profile with an Orderer and an
 * Application section and no Consortiums. Map entries are written in sorted key order.
 */
export async function buildGenesisBlock(
  spec: GenesisSpec,
  options: BuildGenesisOptions = {},
): Promise<GenesisBlock> {
  const resolved = resolveGenesisSpec(
    spec,
    options.source ?? 'spec',
    resolve(options.baseDir ?? '.'),
  );
  const warnings: string[] = [];
  const group = await channelGroup(resolved, warnings);

  const nonce = options.nonce ?? new Uint8Array(randomBytes(24));
  const txId = computeTxId(nonce, new Uint8Array());
  const seconds = Math.floor((options.timestamp ?? new Date()).getTime() / 1000);
  const channelHeader = common.ChannelHeader.encode({
    type: common.HeaderType.CONFIG,
    version: 1,
    timestamp: { seconds, nanos: 0 },
    channelId: resolved.channel,
    txId,
    epoch: 0,
  }).finish();
  const signatureHeader = common.SignatureHeader.encode({ nonce }).finish();
  const payload = common.Payload.encode({
    header: { channelHeader, signatureHeader },
    data: common.ConfigEnvelope.encode({
      config: { sequence: 0, channelGroup: finish(group) },
    }).finish(),
  }).finish();
  const envelope = common.Envelope.encode({ payload }).finish();
  const data = { data: [envelope] };
  const lastConfig = common.LastConfig.encode({ index: 0 }).finish();
  const bytes = common.Block.encode({
    header: { number: 0, previousHash: new Uint8Array(), dataHash: blockDataHash(data) },
    data,
    metadata: {
      metadata: [
        // SIGNATURES: no signature, the last config (block 0) in OrdererBlockMetadata.
        common.Metadata.encode({
          value: common.OrdererBlockMetadata.encode({ lastConfig: { index: 0 } }).finish(),
        }).finish(),
        // LAST_CONFIG: Metadata{ value: LastConfig{ index: 0 } }, which marshals to nothing.
        common.Metadata.encode({ value: lastConfig }).finish(),
        new Uint8Array(), // TRANSACTIONS_FILTER
        new Uint8Array(), // ORDERER
        new Uint8Array(), // COMMIT_HASH
      ],
    },
  }).finish();
  return {
    bytes,
    channelId: resolved.channel,
    txId,
    applicationOrgs: resolved.orgs.filter((o) => o.application).map((o) => o.mspId),
    ordererOrgs: resolved.orgs.filter((o) => o.orderer).map((o) => o.mspId),
    warnings,
  };
}

/**
 * Reads a genesis YAML file and builds its block; relative paths in the file are taken from the
 * file's folder, as configtxgen takes them from configtx.yaml's.
 */
export async function buildGenesisBlockFromFile(
  file: string,
  options: Omit<BuildGenesisOptions, 'baseDir' | 'source'> = {},
): Promise<GenesisBlock> {
  const raw = await readYamlFile(file);
  return buildGenesisBlock(raw as GenesisSpec, {
    ...options,
    baseDir: resolve(file, '..'),
    source: file,
  });
}
