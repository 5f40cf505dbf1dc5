/** Listen addresses: parsing and the errors that tell the operator which key to change. */
import { FabricPeerError } from '@fabric-peer/api';

/** A listener could not be opened; the message names the config key and its env override. */
export class ListenError extends FabricPeerError {}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Splits `host:port` (IPv6 hosts in brackets). */
export function parseHostPort(address: string): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65535)
    throw new Error(`"${address}" is not host:port with a port from 0 to 65535`);
  return { host: m[1] ?? m[2] ?? '', port };
}

/** CORE_* variable that overrides a config key, as Fabric maps them. */
export function envName(key: string): string {
  return `CORE_${key.toUpperCase().replace(/\./g, '_')}`;
}

/** Turns a bind failure into an error naming `configKey`. */
export function listenError(configKey: string, address: string, err: unknown): ListenError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  const reason =
    code === 'EADDRINUSE' || /address (already )?in use|EADDRINUSE/i.test(message)
      ? 'address in use'
      : code === 'EACCES' || /EACCES|permission/i.test(message)
        ? 'permission denied'
        : code === 'EADDRNOTAVAIL' || /EADDRNOTAVAIL/i.test(message)
          ? 'address not available on this host'
          : message;
  return new ListenError(
    'LISTEN_FAILED',
    `cannot listen on ${address} (${configKey}): ${reason}; change ${configKey} in core.yaml or set ${envName(configKey)}`,
    { cause: err, details: { key: configKey, address } },
  );
}
