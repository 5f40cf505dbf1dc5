/**
 * `vm`: the chaincode runtimes (`vm.providers`, this project's ordered list of VM providers) and
 * the Docker engine settings Fabric's Docker builder reads.
 */

import {
  asPath,
  bool,
  dockerEndpoint,
  int,
  listOf,
  nullable,
  str,
  stringList,
  stringMap,
  yamlOnly,
} from '../formats.js';
import { key } from './define.js';
import { pluginRef } from './handlers.js';

// Fabric decodes LogConfig as one block from the file, so environment variables never reach it.
const LOG_CONFIG_YAML_ONLY = 'Fabric reads LogConfig from the YAML file only';

const dockerPath = () => asPath(str({ required: true }));
const optionalText = (doc: string) => key(nullable(str()), null, doc);
const optionalInt = (doc: string) => key(nullable(int()), null, doc);
const optionalList = (doc: string) => key(nullable(stringList()), null, doc);

/**
 * Keys of `vm.docker.hostConfig` Fabric deliberately ignores; naming them is refused with this
 * explanation rather than as a typo.
 */
export const UNSUPPORTED_HOST_CONFIG = ['Privileged', 'Binds', 'Links', 'PortBindings'] as const;

function hostConfigSchema() {
  return {
    NetworkMode: key(
      str({ required: true }),
      'host',
      'Network mode of chaincode containers: host, bridge, ipvlan, none, or a network name.',
    ),
    Dns: optionalList('DNS servers of chaincode containers.'),
    DnsSearch: optionalList('DNS search domains of chaincode containers.'),
    ExtraHosts: optionalList('Extra host:IP lines for /etc/hosts of chaincode containers.'),
    CapAdd: optionalList('Linux capabilities added to chaincode containers.'),
    CapDrop: optionalList('Linux capabilities removed from chaincode containers.'),
    SecurityOpt: optionalList('Security options (e.g. seccomp profiles) of chaincode containers.'),
    LogConfig: {
      Type: key(
        yamlOnly(str({ required: true }), LOG_CONFIG_YAML_ONLY),
        'json-file',
        'Docker logging driver of chaincode containers (YAML only, as in Fabric).',
      ),
      Config: key(
        yamlOnly(stringMap(), LOG_CONFIG_YAML_ONLY),
        { 'max-size': '50m', 'max-file': '5' },
        'Options of the logging driver, as Docker names them (YAML only, as in Fabric).',
      ),
    },
    Memory: key(int({ min: 0 }), 2147483648, 'Memory limit of each chaincode container, in bytes.'),
    MemorySwap: optionalInt('Memory plus swap limit, in bytes (-1: unlimited swap).'),
    MemorySwappiness: optionalInt('Swappiness of container memory (0 to 100).'),
    OomKillDisable: key(
      nullable(bool()),
      null,
      "Disable the kernel's OOM killer for the container.",
    ),
    CpuShares: optionalInt('Relative CPU weight of chaincode containers.'),
    CpuPeriod: optionalInt('CFS period of chaincode containers, in microseconds.'),
    CpuQuota: optionalInt('CFS quota of chaincode containers, in microseconds per period.'),
    CpusetCPUs: optionalText('CPUs chaincode containers may run on (e.g. 0-3,5).'),
    CpusetMEMs: optionalText('Memory nodes chaincode containers may use (NUMA).'),
    CgroupParent: optionalText('Parent cgroup of chaincode containers.'),
    BlkioWeight: optionalInt('Block I/O weight of chaincode containers (10 to 1000).'),
    ReadonlyRootfs: key(
      nullable(bool()),
      null,
      'Mount the root file system of chaincode containers read-only.',
    ),
    IpcMode: optionalText('IPC namespace mode of chaincode containers.'),
    PidMode: optionalText('PID namespace mode of chaincode containers.'),
    UTSMode: optionalText('UTS namespace mode of chaincode containers.'),
  };
}

/** Schema of `vm`. */
export function vmSchema() {
  return {
    providers: key(
      listOf(pluginRef('vmProviders', 'VM provider')),
      [{ name: 'inprocess', library: null }],
      'Chaincode runtimes, tried in this order; the first that accepts a chaincode package runs it.',
    ),
    endpoint: key(
      nullable(dockerEndpoint()),
      'unix:///var/run/docker.sock',
      'Docker engine endpoint; leave empty when chaincode is not run in Docker.',
    ),
    docker: {
      tls: {
        enabled: key(bool(), false, 'Connect to the Docker engine over TLS.'),
        ca: {
          file: key(dockerPath(), 'docker/ca.crt', 'PEM CA certificate of the Docker engine.'),
        },
        cert: {
          file: key(
            dockerPath(),
            'docker/tls.crt',
            'PEM client certificate for the Docker engine.',
          ),
        },
        key: {
          file: key(dockerPath(), 'docker/tls.key', 'PEM client key for the Docker engine.'),
        },
      },
      attachStdout: key(
        bool(),
        false,
        "Copy chaincode containers' stdout and stderr into the peer log (debugging).",
      ),
      hostConfig: hostConfigSchema(),
    },
  };
}
