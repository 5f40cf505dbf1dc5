/**
 * core.yaml values for the Docker runtime's tests: the keys the plugin reads, with Fabric's
 * defaults except where a test needs its own (endpoint, runtime image, names).
 */
import type { PeerConfig } from '@fabric-peer/api';
import { fakeConfig } from '@fabric-peer/testkit';

/** Every key the plugin reads, with Fabric's defaults and the local engine. */
export function dockerTestValues(
  overrides: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  return {
    'vm.endpoint': 'unix:///var/run/docker.sock',
    'vm.docker.tls.enabled': false,
    'vm.docker.tls.ca.file': 'docker/ca.crt',
    'vm.docker.tls.cert.file': 'docker/tls.crt',
    'vm.docker.tls.key.file': 'docker/tls.key',
    'vm.docker.attachStdout': false,
    'vm.docker.hostConfig': {
      NetworkMode: 'host',
      Dns: null,
      LogConfig: { Type: 'json-file', Config: { 'max-size': '50m', 'max-file': '5' } },
      Memory: 2147483648,
    },
    'chaincode.node.runtime': '$(DOCKER_NS)/fabric-nodeenv:$(TWO_DIGIT_VERSION)',
    'chaincode.pull': false,
    'peer.id': 'jdoe',
    'peer.networkId': 'dev',
    'peer.localMspId': 'SampleOrg',
    'chaincode.logging.level': 'info',
    'chaincode.logging.shim': 'warning',
    'chaincode.logging.format': '%{message}',
    ...overrides,
  };
}

/** A PeerConfig holding {@link dockerTestValues}. */
export function dockerTestConfig(overrides: Readonly<Record<string, unknown>> = {}): PeerConfig {
  return fakeConfig(dockerTestValues(overrides));
}
