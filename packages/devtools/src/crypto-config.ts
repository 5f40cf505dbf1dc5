/**
 * cryptogen's input, crypto-config.yaml: its types (with cryptogen's own key names), strict
 * validation, and the rendering cryptogen does before it generates anything (templated host
 * names, common names and SANs; the implicit SANs; the CA's names).
 */
import { DevtoolsError, invalidSpec } from './errors.js';
import {
  absent,
  fail,
  list,
  mapping,
  optBool,
  optInt,
  optString,
  readYamlFile,
  reqString,
  root,
  stringList,
  type Cursor,
} from './input.js';

/** A node (or the CA) as crypto-config.yaml describes it. */
export interface NodeSpec {
  /** Host name without the domain; required for `Specs` entries, `ca` for the CA by default. */
  readonly Hostname?: string;
  /** Common name or a template for it; default `{{.Hostname}}.{{.Domain}}`. */
  readonly CommonName?: string;
  /** Extra subject alternative names (templates allowed); IP addresses are recognized. */
  readonly SANS?: readonly string[];
  /** CA only: subject fields of the CA, copied into every certificate it issues. */
  readonly Country?: string;
  readonly Province?: string;
  readonly Locality?: string;
  readonly OrganizationalUnit?: string;
  readonly StreetAddress?: string;
  readonly PostalCode?: string;
}

/** Nodes made from a template: `Count` nodes named `{{.Prefix}}{{.Index}}` from `Start`. */
export interface NodeTemplate {
  readonly Count?: number;
  readonly Start?: number;
  readonly Hostname?: string;
  readonly SANS?: readonly string[];
}

/** One organization of crypto-config.yaml. */
export interface OrgSpec {
  readonly Name?: string;
  readonly Domain: string;
  readonly EnableNodeOUs?: boolean;
  readonly CA?: NodeSpec;
  readonly Template?: NodeTemplate;
  readonly Specs?: readonly NodeSpec[];
  /** Users in addition to Admin (peer organizations only; cryptogen ignores it for orderers). */
  readonly Users?: { readonly Count?: number };
}

/** crypto-config.yaml: cryptogen's input format. */
export interface CryptoConfig {
  readonly OrdererOrgs?: readonly OrgSpec[];
  readonly PeerOrgs?: readonly OrgSpec[];
}

/** The CA of an organization after rendering. */
export interface RenderedCa {
  readonly commonName: string;
  readonly country: string;
  readonly province: string;
  readonly locality: string;
  readonly organizationalUnit: string;
  readonly streetAddress: string;
  readonly postalCode: string;
}

/** A node after rendering: its folder name is its common name. */
export interface RenderedNode {
  readonly hostname: string;
  readonly commonName: string;
  /** The TLS certificate's SANs: common name, host name, then the spec's, in that order. */
  readonly sans: readonly string[];
}

/** An organization ready to generate. */
export interface RenderedOrg {
  readonly kind: 'peer' | 'orderer';
  readonly name: string;
  readonly domain: string;
  readonly nodeOUs: boolean;
  readonly ca: RenderedCa;
  readonly nodes: readonly RenderedNode[];
  /** Common names of the users: `User1@domain`..., then `Admin@domain`. */
  readonly users: readonly { readonly commonName: string; readonly admin: boolean }[];
}

const NODE_KEYS = ['Hostname', 'CommonName', 'SANS'] as const;
const CA_ONLY_KEYS = [
  'Country',
  'Province',
  'Locality',
  'OrganizationalUnit',
  'StreetAddress',
  'PostalCode',
] as const;
const ORG_KEYS = ['Name', 'Domain', 'EnableNodeOUs', 'CA', 'Template', 'Specs', 'Users'] as const;

function readNodeSpec(c: Cursor, isCa: boolean): NodeSpec {
  if (!isCa && !absent(c) && typeof c.value === 'object' && !Array.isArray(c.value)) {
    for (const key of CA_ONLY_KEYS) {
      if (key in (c.value as object)) {
        fail(
          { ...c, path: `${c.path}.${key}` },
          'has no effect on a node (cryptogen takes subject fields from the CA: set it under CA)',
        );
      }
    }
  }
  const m = mapping(
    c,
    isCa ? [...NODE_KEYS, ...CA_ONLY_KEYS] : NODE_KEYS,
    isCa ? [] : ['Hostname'],
  );
  const out: Record<string, unknown> = {};
  for (const key of [...NODE_KEYS, ...CA_ONLY_KEYS]) {
    const field: Cursor | undefined = (m as Partial<Record<string, Cursor>>)[key];
    if (field === undefined || absent(field)) continue;
    out[key] = key === 'SANS' ? stringList(field) : optString(field);
  }
  return out;
}

function readOrg(c: Cursor, kind: 'peer' | 'orderer'): OrgSpec {
  const m = mapping(c, ORG_KEYS, ['Domain']);
  const t = mapping(m.Template, ['Count', 'Start', 'Hostname', 'SANS']);
  const u = mapping(m.Users, ['Count']);
  if (kind === 'orderer' && !absent(u.Count)) {
    fail(u.Count, 'has no effect on an orderer organization (cryptogen makes only Admin there)');
  }
  const count = optInt(t.Count, 0, 10_000);
  const start = optInt(t.Start, 0, 1_000_000);
  const hostname = optString(t.Hostname);
  const sans = absent(t.SANS) ? undefined : stringList(t.SANS);
  const users = optInt(u.Count, 0, 10_000);
  const nodeOUs = optBool(m.EnableNodeOUs);
  const name = optString(m.Name);
  return {
    ...(name !== undefined ? { Name: name } : {}),
    Domain: reqString(m.Domain),
    ...(nodeOUs !== undefined ? { EnableNodeOUs: nodeOUs } : {}),
    ...(absent(m.CA) ? {} : { CA: readNodeSpec(m.CA, true) }),
    ...(absent(m.Template)
      ? {}
      : {
          Template: {
            ...(count !== undefined ? { Count: count } : {}),
            ...(start !== undefined ? { Start: start } : {}),
            ...(hostname !== undefined ? { Hostname: hostname } : {}),
            ...(sans !== undefined ? { SANS: sans } : {}),
          },
        }),
    ...(absent(m.Specs) ? {} : { Specs: list(m.Specs).map((s) => readNodeSpec(s, false)) }),
    ...(users !== undefined ? { Users: { Count: users } } : {}),
  };
}

/**
 * Validates crypto-config content (parsed YAML, or an object built in code) strictly: unknown
 * keys, wrong types and missing `Domain`/`Hostname` are errors naming the field.
 */
export function validateCryptoConfig(value: unknown, where = 'spec'): CryptoConfig {
  const top = mapping(root(where, value), ['OrdererOrgs', 'PeerOrgs']);
  const config: CryptoConfig = {
    OrdererOrgs: list(top.OrdererOrgs).map((o) => readOrg(o, 'orderer')),
    PeerOrgs: list(top.PeerOrgs).map((o) => readOrg(o, 'peer')),
  };
  if ((config.OrdererOrgs?.length ?? 0) + (config.PeerOrgs?.length ?? 0) === 0) {
    throw invalidSpec(where, '', 'defines no organizations (expected OrdererOrgs or PeerOrgs)');
  }
  return config;
}

/** Reads and validates a crypto-config.yaml file. */
export async function loadCryptoConfig(path: string): Promise<CryptoConfig> {
  return validateCryptoConfig(await readYamlFile(path), path);
}

/**
 * Expands a Go text/template as cryptogen uses them: only `{{.Field}}` (spaces allowed inside the
 * braces) with the fields of `data`. Anything else is an error naming the field.
 */
export function renderTemplate(
  text: string,
  data: Readonly<Record<string, string | number>>,
  where: string,
  field: string,
): string {
  const out = text.replace(/\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_m, name: string) => {
    const v = data[name];
    if (v === undefined) {
      throw invalidSpec(
        where,
        field,
        `template field .${name} is not available here (available: ${Object.keys(data)
          .map((k) => `.${k}`)
          .join(', ')})`,
      );
    }
    return String(v);
  });
  if (out.includes('{{') || out.includes('}}')) {
    throw invalidSpec(
      where,
      field,
      `unsupported template ${JSON.stringify(text)} (only {{.Field}} substitutions are supported)`,
    );
  }
  return out;
}

function renderNode(
  spec: NodeSpec,
  domain: string,
  where: string,
  path: string,
): RenderedNode & { spec: NodeSpec } {
  const hostname = spec.Hostname ?? '';
  const data = { Hostname: hostname, Domain: domain };
  const cn = renderTemplate(
    spec.CommonName === undefined || spec.CommonName === ''
      ? '{{.Hostname}}.{{.Domain}}'
      : spec.CommonName,
    data,
    where,
    `${path}.CommonName`,
  );
  const full = { ...data, CommonName: cn };
  const sans = [
    cn,
    hostname,
    ...(spec.SANS ?? []).map((s, i) => renderTemplate(s, full, where, `${path}.SANS[${i}]`)),
  ];
  return { hostname, commonName: cn, sans, spec };
}

function renderOrg(
  org: OrgSpec,
  kind: 'peer' | 'orderer',
  where: string,
  path: string,
): RenderedOrg {
  const prefix = kind === 'peer' ? 'peer' : 'orderer';
  const specs: { spec: NodeSpec; path: string }[] = (org.Specs ?? []).map((spec, i) => ({
    spec,
    path: `${path}.Specs[${i}]`,
  }));
  const t = org.Template ?? {};
  for (let i = 0; i < (t.Count ?? 0); i++) {
    const hostname = renderTemplate(
      t.Hostname === undefined || t.Hostname === '' ? '{{.Prefix}}{{.Index}}' : t.Hostname,
      { Prefix: prefix, Index: i + (t.Start ?? 0), Domain: org.Domain },
      where,
      `${path}.Template.Hostname`,
    );
    specs.push({
      spec: { Hostname: hostname, ...(t.SANS !== undefined ? { SANS: t.SANS } : {}) },
      path: `${path}.Template`,
    });
  }
  const nodes = specs.map(({ spec, path: p }) => renderNode(spec, org.Domain, where, p));
  const seen = new Set<string>();
  for (const n of nodes) {
    if (seen.has(n.commonName)) {
      throw invalidSpec(where, path, `two nodes have the common name ${n.commonName}`);
    }
    seen.add(n.commonName);
  }
  const caSpec = org.CA ?? {};
  const ca = renderNode(
    {
      ...caSpec,
      Hostname: caSpec.Hostname === undefined || caSpec.Hostname === '' ? 'ca' : caSpec.Hostname,
    },
    org.Domain,
    where,
    `${path}.CA`,
  );
  const users: { commonName: string; admin: boolean }[] = [];
  if (kind === 'peer') {
    for (let j = 1; j <= (org.Users?.Count ?? 0); j++) {
      users.push({ commonName: `User${j}@${org.Domain}`, admin: false });
    }
  }
  users.push({ commonName: `Admin@${org.Domain}`, admin: true });
  return {
    kind,
    name: org.Name ?? org.Domain,
    domain: org.Domain,
    nodeOUs: org.EnableNodeOUs ?? false,
    ca: {
      commonName: ca.commonName,
      country: caSpec.Country ?? '',
      province: caSpec.Province ?? '',
      locality: caSpec.Locality ?? '',
      organizationalUnit: caSpec.OrganizationalUnit ?? '',
      streetAddress: caSpec.StreetAddress ?? '',
      postalCode: caSpec.PostalCode ?? '',
    },
    nodes: nodes.map(({ hostname, commonName, sans }) => ({ hostname, commonName, sans })),
    users,
  };
}

/**
 * Renders every organization as cryptogen does before generating: peer organizations first, then
 * orderer organizations (cryptogen's order). Two organizations of one kind with the same domain
 * are an error (cryptogen would overwrite the first).
 */
export function renderCryptoConfig(config: CryptoConfig, where = 'spec'): RenderedOrg[] {
  const checked = validateCryptoConfig(config, where);
  const out = [
    ...(checked.PeerOrgs ?? []).map((o, i) => renderOrg(o, 'peer', where, `PeerOrgs[${i}]`)),
    ...(checked.OrdererOrgs ?? []).map((o, i) =>
      renderOrg(o, 'orderer', where, `OrdererOrgs[${i}]`),
    ),
  ];
  const seen = new Set<string>();
  for (const org of out) {
    const key = `${org.kind}/${org.domain}`;
    if (seen.has(key)) {
      throw new DevtoolsError(
        'DEVTOOLS_SPEC_INVALID',
        `${where}: two ${org.kind} organizations have the domain ${org.domain}`,
      );
    }
    seen.add(key);
  }
  return out;
}
