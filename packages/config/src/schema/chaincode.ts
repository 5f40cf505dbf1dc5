/**
 * `chaincode`: images and builders, external builders, timeouts, dev mode, the system chaincode
 * allow-list, chaincode logging, and (v3) the runtime parameters offered to chaincode.
 */

import {
  asPath,
  bool,
  duration,
  int,
  listOf,
  nullable,
  oneOf,
  record,
  str,
  stringList,
  stringMap,
  type ValueFormat,
} from '../formats.js';
import { key } from './define.js';

/** `chaincode.externalBuilders[]`: a folder holding an external builder's bin/ scripts. */
export interface ExternalBuilder {
  /** Name of the builder, for logs. */
  name: string;
  /** Folder of the builder (its bin/detect, bin/build, ...). */
  path: string;
  /** Environment variables passed through to the builder's scripts. */
  propagateEnvironment: string[];
}

const TRUTHY = ['true', 't', '1', 'enable', 'enabled', 'yes'];
const FALSY = ['false', 'f', '0', 'disable', 'disabled', 'no'];

/**
 * Whether a `chaincode.system` value enables the system chaincode, as Fabric's `parseBool` decides
 * (`true`, `t`, `1`, `enable`, `enabled`, `yes`, in any case).
 */
export function isEnabledValue(value: string): boolean {
  return TRUTHY.includes(value.trim().toLowerCase());
}

/**
 * A `chaincode.system` value. Fabric treats any word other than its truthy ones as "disabled"; here
 * only the matching falsy words are accepted, so that a typo does not silently turn off `_lifecycle`.
 */
function switchWord(): ValueFormat<string> {
  const base = str();
  const allowed = `enable or disable (also ${[...TRUTHY, ...FALSY].filter((w) => w !== 'enable' && w !== 'disable').join(', ')}; any case)`;
  const check = (text: string, raw: unknown) => {
    const word = text.trim().toLowerCase();
    return TRUTHY.includes(word) || FALSY.includes(word)
      ? { ok: true as const, value: text }
      : {
          ok: false as const,
          problems: [{ problem: 'neither enabled nor disabled', allowed, value: raw }],
        };
  };
  return {
    ...base,
    allowed,
    read(value) {
      const r = base.read(value);
      return r.ok
        ? check(r.value, value)
        : { ok: false, problems: r.problems.map((p) => ({ ...p, allowed })) };
    },
    readEnv: (text) => check(text, text),
  };
}

const LOG_LEVELS = [
  'payload',
  'debug',
  'info',
  'warning',
  'warn',
  'error',
  'dpanic',
  'panic',
  'fatal',
  'notice',
  'critical',
] as const;

const image = (value: string, doc: string) => key(str({ required: true }), value, doc);

/** Schema of `chaincode`. */
export function chaincodeSchema() {
  return {
    id: {
      path: key(
        nullable(str()),
        null,
        'Dev mode: path form of the chaincode ID (normally given to the chaincode by environment).',
      ),
      name: key(
        nullable(str()),
        null,
        'Dev mode: name of the chaincode registering with the peer (normally given by environment).',
      ),
    },
    builder: image(
      '$(DOCKER_NS)/fabric-ccenv:$(TWO_DIGIT_VERSION)',
      'Image that builds chaincode (Docker builder); $(DOCKER_NS) and $(TWO_DIGIT_VERSION) are expanded.',
    ),
    pull: key(bool(), false, 'Always pull the builder and runtime images before building.'),
    golang: {
      runtime: image(
        '$(DOCKER_NS)/fabric-baseos:$(TWO_DIGIT_VERSION)',
        'Image that runs Go chaincode.',
      ),
      dynamicLink: key(bool(), false, 'Link Go chaincode dynamically.'),
    },
    java: {
      runtime: image(
        '$(DOCKER_NS)/fabric-javaenv:$(TWO_DIGIT_VERSION)',
        'Image that builds and runs Java chaincode.',
      ),
    },
    node: {
      runtime: image(
        '$(DOCKER_NS)/fabric-nodeenv:$(TWO_DIGIT_VERSION)',
        'Image that builds and runs Node.js chaincode.',
      ),
    },
    externalBuilders: key(
      listOf(
        record<ExternalBuilder>({
          fields: {
            name: { format: str({ required: true }), required: true },
            path: { format: asPath(str({ required: true })), required: true, path: true },
            propagateEnvironment: { format: stringList(), fallback: [] },
          },
          aliases: {
            environmentWhitelist: {
              field: 'propagateEnvironment',
              note: 'environmentWhitelist is deprecated; use propagateEnvironment',
            },
          },
        }),
        { yamlFromEnv: true },
      ),
      [
        {
          name: 'ccaas_builder',
          path: '/opt/hyperledger/ccaas_builder',
          propagateEnvironment: ['CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG'],
        },
      ],
      'External builders and launchers, tried in this order before the built-in ones.',
    ),
    installTimeout: key(
      duration(),
      '300s',
      'Longest time to build and install a chaincode package.',
    ),
    startuptimeout: key(
      duration(),
      '300s',
      'Longest time from launching a chaincode to its registration (Fabric uses at least 5s).',
    ),
    executetimeout: key(
      duration(),
      '30s',
      'Longest time for one Init or Invoke, system chaincodes included (below 1s Fabric uses 30s).',
    ),
    mode: key(
      oneOf(['net', 'dev']),
      'net',
      'net: the peer launches chaincode; dev: the user starts chaincode and any chaincode ID may register.',
    ),
    keepalive: key(
      int(),
      0,
      'Seconds between keepalives to chaincode, for proxies that drop idle connections; 0 or less: off.',
    ),
    system: key(
      stringMap({ entry: switchWord(), envEntries: true }),
      { _lifecycle: 'enable', cscc: 'enable', lscc: 'enable', qscc: 'enable' },
      'System chaincodes by name, each enabled or disabled; one not listed is disabled.',
    ),
    logging: {
      level: key(oneOf(LOG_LEVELS), 'info', 'Default log level inside chaincode containers.'),
      shim: key(oneOf(LOG_LEVELS), 'warning', "Log level of the chaincode shim's logger."),
      format: key(
        str(),
        '%{color}%{time:2006-01-02 15:04:05.000 MST} [%{module}] %{shortfunc} -> %{level:.4s} %{id:03x}%{color:reset} %{message}',
        'Log format inside chaincode containers.',
      ),
    },
    runtimeParams: {
      useWriteBatch: key(
        bool(),
        true,
        'v3: tell chaincode it may send its writes in batches (WRITE_BATCH_STATE).',
      ),
      maxSizeWriteBatch: key(int({ min: 0 }), 1000, 'v3: most writes in one batch.'),
      useGetMultipleKeys: key(
        bool(),
        true,
        'v3: tell chaincode it may read several keys in one request (GET_STATE_MULTIPLE).',
      ),
      maxSizeGetMultipleKeys: key(int({ min: 0 }), 1000, 'v3: most keys in one multi-key read.'),
    },
  };
}
