/** Small real chaincodes, packaged as `peer lifecycle chaincode package` would package them. */
import {
  createChaincodePackage,
  toChaincodePackage,
  parseChaincodePackage,
  packageId,
} from '@fabric-peer/chaincode-packages';
import type { ChaincodePackage } from '@fabric-peer/api';

/** A fabric-shim chaincode (ChaincodeInterface), started with `node index.js`. */
export const SHIM_CHAINCODE: Record<string, string> = {
  'src/package.json': JSON.stringify({
    name: 'shim-cc',
    version: '1.0.0',
    main: 'index.js',
    scripts: { start: 'node index.js' },
    dependencies: { 'fabric-shim': '2.5.8' },
  }),
  'src/index.js': `'use strict';
const shim = require('fabric-shim');
class Chaincode {
  async Init() { return shim.success(); }
  async Invoke(stub) {
    const { fcn, params } = stub.getFunctionAndParameters();
    if (fcn === 'env') {
      return shim.success(Buffer.from(JSON.stringify({
        mspid: stub.getMspID(),
        cwd: process.cwd(),
        argv: process.argv.slice(2),
        isMain: require.main === module,
        tls: process.env.CORE_PEER_TLS_ENABLED,
        pipeVariable: process.env.FABRIC_PEER_CHAINCODE_PIPE_FD ?? null,
      })));
    }
    if (fcn === 'exit') {
      setTimeout(() => process.exit(Number(params[0])), 20);
      return shim.success();
    }
    return shim.success(Buffer.from('pong:' + params.join(',')));
  }
}
if (require.main === module) shim.start(new Chaincode());
`,
};

/** A fabric-contract-api chaincode, started with `fabric-chaincode-node start`. */
export const CONTRACT_CHAINCODE: Record<string, string> = {
  'src/package.json': JSON.stringify({
    name: 'contract-cc',
    version: '1.0.0',
    main: 'index.js',
    scripts: { start: 'fabric-chaincode-node start' },
    dependencies: { 'fabric-contract-api': '2.5.8', 'fabric-shim': '2.5.8' },
  }),
  'src/index.js': `'use strict';
const { Contract } = require('fabric-contract-api');
class PingContract extends Contract {
  async ping(ctx, what) {
    return 'pong:' + what + ':' + ctx.clientIdentity.getMSPID() + ':' + ctx.stub.getChannelID();
  }
  async where() {
    return JSON.stringify({ cwd: process.cwd(), argv: process.argv.slice(2) });
  }
}
module.exports.contracts = [PingContract];
`,
  'META-INF/statedb/couchdb/indexes/index.json': '{"index":{"fields":["x"]}}',
};

/** A chaincode that throws while it loads. */
export const CRASHING_CHAINCODE: Record<string, string> = {
  'src/package.json': JSON.stringify({
    name: 'crash-cc',
    version: '1.0.0',
    main: 'index.js',
    scripts: { start: 'node index.js' },
  }),
  'src/index.js': `throw new Error('boom while starting');\n`,
};

/** The ChaincodePackage of a 2.x package made from `files`, and its package id. */
export async function nodePackage(
  label: string,
  files: Record<string, string> | Parameters<typeof createChaincodePackage>[0]['files'],
  type = 'node',
): Promise<ChaincodePackage> {
  const bytes = await createChaincodePackage({ label, type, path: '', files });
  return toChaincodePackage(packageId(label, bytes), parseChaincodePackage(bytes));
}
