/**
 * The peer's core.yaml: the project's sample (`config/core.yaml`, every key commented) with the
 * keys a development network sets — its identity, its folders, its ports on 127.0.0.1, LevelDB and
 * the in-process chaincode runtime.
 */
import { parseDocument } from 'yaml';
import { layoutPaths, ORG_MSP_ID, PEER_NAME } from './layout.js';

/** The four ports of the development network, all on 127.0.0.1. */
export interface DevNetworkPorts {
  readonly orderer: number;
  readonly peer: number;
  readonly chaincode: number;
  readonly operations: number;
}

/** Fabric's test-network ports for the orderer and peer0.org1, and the sample's operations port. */
export const DEFAULT_PORTS: DevNetworkPorts = {
  orderer: 7050,
  peer: 7051,
  chaincode: 7052,
  operations: 9443,
};

/** What the core.yaml of a development network says, beside the template's defaults. */
export interface CoreYamlOptions {
  readonly dir: string;
  readonly ports: DevNetworkPorts;
  /** The orderer endpoint in the channel configuration (`host:port`). */
  readonly ordererEndpoint: string;
}

/** The keys set, as dotted paths; exposed for the README and tests. */
export function coreYamlSettings(options: CoreYamlOptions): Record<string, unknown> {
  const paths = layoutPaths(options.dir);
  const peer = `127.0.0.1:${options.ports.peer}`;
  const chaincode = `127.0.0.1:${options.ports.chaincode}`;
  const orderer = `127.0.0.1:${options.ports.orderer}`;
  return {
    'peer.id': PEER_NAME,
    'peer.networkId': 'devnet',
    'peer.listenAddress': peer,
    'peer.address': peer,
    'peer.chaincodeListenAddress': chaincode,
    'peer.chaincodeAddress': chaincode,
    'peer.gossip.bootstrap': peer,
    'peer.fileSystemPath': paths.peerData,
    'peer.mspConfigPath': paths.peerMsp,
    'peer.localMspId': ORG_MSP_ID,
    'peer.tls.enabled': false,
    // The channel config names the orderer by the port it had when the network was made; a start
    // on another port maps that address to the new one, as an operator would.
    'peer.deliveryclient.addressOverrides':
      options.ordererEndpoint === orderer ? [] : [{ from: options.ordererEndpoint, to: orderer }],
    'operations.listenAddress': `127.0.0.1:${options.ports.operations}`,
    'ledger.state.stateDatabase': 'goleveldb',
    'vm.providers': [{ name: 'inprocess', library: null }],
  };
}

/** core.yaml text: the template with {@link coreYamlSettings} applied (comments kept). */
export function renderCoreYaml(template: string, options: CoreYamlOptions): string {
  const doc = parseDocument(template);
  for (const [key, value] of Object.entries(coreYamlSettings(options))) {
    doc.setIn(key.split('.'), value);
  }
  const header =
    '# Written by `fabric-peer dev up` at each start, from config/core.yaml: edits here are lost.\n';
  return header + doc.toString();
}
