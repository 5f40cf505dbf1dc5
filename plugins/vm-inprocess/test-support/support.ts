/** Temporary peer folders, runtimes over them and TLS material, for the plugin's tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoggerFactory } from '@fabric-peer/api';
import { issue, makeCa, silentLoggers } from '@fabric-peer/testkit';
import { InprocessVmProvider, type InprocessRuntimeOptions } from '../src/index.js';
import type { FakePeerTls } from './fake-peer.js';

/** A fresh folder in os.tmpdir(), standing for `peer.fileSystemPath`. */
export function tempPeerDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'vm-inprocess-'));
}

export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** A runtime over `fileSystemPath`, stopping chaincode quickly. */
export function runtime(
  fileSystemPath: string,
  options: Partial<InprocessRuntimeOptions> = {},
  loggers: LoggerFactory = silentLoggers,
): InprocessVmProvider {
  return InprocessVmProvider.create(
    { fileSystemPath, localMspId: 'Org1MSP', stopGraceMs: 2000, ...options },
    loggers,
  );
}

/** A CA, the peer's TLS server certificate and a chaincode client certificate from it. */
export async function tlsMaterial(): Promise<{
  peer: FakePeerTls;
  client: { clientCert: string; clientKey: string; rootCert: string };
  identity: { mspId: string; certPem: string };
}> {
  const ca = await makeCa('tls-ca');
  const server = await issue(ca, 'peer0', { usage: 'server' });
  const client = await issue(ca, 'chaincode', { usage: 'client' });
  const user = await issue(ca, 'user1', { usage: 'signing' });
  return {
    peer: { certPem: server.certPem, keyPem: server.keyPem, clientCaPem: ca.certPem },
    client: { clientCert: client.certPem, clientKey: client.keyPem, rootCert: ca.certPem },
    identity: { mspId: 'Org1MSP', certPem: user.certPem },
  };
}
