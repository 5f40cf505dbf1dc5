/**
 * Ports: checked before anything is written or started, so that a second `dev up` (or anything
 * else on Fabric's usual ports) is reported at once, naming the port and the flag that moves it.
 */
import { createServer } from 'node:net';
import type { DevNetworkPorts } from './core-yaml.js';
import { DevnetError } from './errors.js';

/** The `fabric-peer dev up` flag of each port. */
export const PORT_FLAGS: Readonly<Record<keyof DevNetworkPorts, string>> = {
  orderer: '--orderer-port',
  peer: '--peer-port',
  chaincode: '--chaincode-port',
  operations: '--operations-port',
};

const WHAT: Readonly<Record<keyof DevNetworkPorts, string>> = {
  orderer: 'the orderer',
  peer: "the peer's gRPC listener",
  chaincode: "the peer's chaincode listener",
  operations: "the peer's operations server",
};

/** Resolves with the error code of binding 127.0.0.1:`port`, or `undefined` when it is free. */
function tryBind(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () =>
      server.close(() => resolve(undefined)),
    );
  });
}

/** Throws DEVNET_IN_USE naming the port and its flag when one of `ports` cannot be bound. */
export async function checkPortsFree(ports: DevNetworkPorts): Promise<void> {
  const seen = new Map<number, keyof DevNetworkPorts>();
  for (const key of Object.keys(PORT_FLAGS) as (keyof DevNetworkPorts)[]) {
    const port = ports[key];
    const other = seen.get(port);
    if (other !== undefined) {
      throw new DevnetError(
        'DEVNET_OPTIONS_INVALID',
        `${WHAT[other]} and ${WHAT[key]} both use port ${port}: give them different ports (${PORT_FLAGS[other]}, ${PORT_FLAGS[key]})`,
        { details: { port } },
      );
    }
    seen.set(port, key);
  }
  for (const key of Object.keys(PORT_FLAGS) as (keyof DevNetworkPorts)[]) {
    const port = ports[key];
    const code = await tryBind(port);
    if (code === undefined) continue;
    const reason =
      code === 'EADDRINUSE'
        ? 'address in use (is another `fabric-peer dev up` or a Fabric network running?)'
        : code === 'EACCES'
          ? 'permission denied'
          : code;
    throw new DevnetError(
      'DEVNET_IN_USE',
      `cannot listen on 127.0.0.1:${port} for ${WHAT[key]}: ${reason}; stop what uses it, or choose another port with ${PORT_FLAGS[key]}`,
      { details: { port, key, reason: code } },
    );
  }
}

/** Checks a port number from a flag or an option. */
export function validPort(value: unknown, name: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw new DevnetError(
      'DEVNET_OPTIONS_INVALID',
      `${name}: expected a port from 1 to 65535, got ${JSON.stringify(value)}`,
      { details: { option: name } },
    );
  }
  return n;
}
