/**
 * connection.json of a chaincode-as-a-service package (Fabric's ChaincodeServerUserData), read as
 * Fabric's ccaas_builder and peer read it: string fields may be `{{.key}}` templates filled from
 * CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG; dial_timeout is a Go duration (default 3s);
 * tls_required defaults to false; with TLS the root certificate is required, and with client
 * authentication the client key and certificate too.
 */
import type { ChaincodeServerInfo } from '@fabric-peer/api';
import { parseGoDuration } from './duration.js';
import { RemoteRuntimeError } from './errors.js';

/** Fabric's default dial timeout (externalbuilder.DialTimeout). */
export const DEFAULT_DIAL_TIMEOUT_MS = 3000;

function invalid(chaincodeId: string, problem: string): RemoteRuntimeError {
  return new RemoteRuntimeError(
    'INVALID_CONNECTION',
    `connection.json of chaincode ${chaincodeId}: ${problem}`,
    { details: { chaincodeId } },
  );
}

/** Fills `{{.key}}` (Go template field references) from `config`; other template syntax is refused. */
function fill(
  chaincodeId: string,
  field: string,
  value: string,
  config: Readonly<Record<string, unknown>>,
): string {
  return value.replace(/\{\{(.*?)\}\}/g, (_all, inner: string) => {
    const m = /^\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(inner);
    if (!m) {
      throw invalid(chaincodeId, `the ${field} template {{${inner}}} is not a {{.key}} reference`);
    }
    const key = m[1] ?? '';
    if (!(key in config)) {
      throw invalid(
        chaincodeId,
        `the ${field} template refers to "${key}", which CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG does not set`,
      );
    }
    return String(config[key]);
  });
}

function text(chaincodeId: string, json: Record<string, unknown>, field: string): string {
  const v = json[field];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw invalid(chaincodeId, `${field} must be a string`);
  return v;
}

function flag(chaincodeId: string, json: Record<string, unknown>, field: string): boolean {
  const v = json[field];
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  // Fabric's documentation shows "true" in quotes; accept the two words.
  if (v === 'true' || v === 'false') return v === 'true';
  throw invalid(chaincodeId, `${field} must be true or false`);
}

/**
 * The server info of connection.json's bytes. Throws RemoteRuntimeError `INVALID_CONNECTION`
 * with Fabric's words (`chaincode address not provided`, `chaincode tls root cert not provided`,
 * ...) for what Fabric refuses, and for a malformed address or duration.
 */
export function parseConnection(
  chaincodeId: string,
  bytes: Uint8Array,
  builderConfig: Readonly<Record<string, unknown>> = {},
): ChaincodeServerInfo {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw invalid(chaincodeId, `malformed chaincode info (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid(chaincodeId, 'malformed chaincode info (not a JSON object)');
  }
  const c = json as Record<string, unknown>;
  const value = (field: string) =>
    fill(chaincodeId, field, text(chaincodeId, c, field), builderConfig);

  const address = value('address');
  if (address === '') throw invalid(chaincodeId, 'chaincode address not provided');
  const hostPort = /^(\[[0-9A-Fa-f:.]+\]|[^:\s/]+):(\d{1,5})$/.exec(address);
  const port = Number(hostPort?.[2]);
  if (!hostPort || port < 1 || port > 65535) {
    throw invalid(chaincodeId, `address "${address}" is not <host>:<port>`);
  }

  let dialTimeoutMs = DEFAULT_DIAL_TIMEOUT_MS;
  const rawTimeout = c.dial_timeout;
  if (typeof rawTimeout === 'number') {
    // Go decodes a number as nanoseconds.
    dialTimeoutMs = rawTimeout / 1e6;
  } else if (typeof rawTimeout === 'string') {
    const filled = fill(chaincodeId, 'dial_timeout', rawTimeout, builderConfig);
    if (filled !== '') {
      const ms = parseGoDuration(filled);
      if (ms === undefined) {
        throw invalid(
          chaincodeId,
          `invalid duration "${filled}" for dial_timeout (a Go duration such as "10s", "500ms", "1m")`,
        );
      }
      dialTimeoutMs = ms;
    }
  } else if (rawTimeout !== undefined && rawTimeout !== null) {
    throw invalid(chaincodeId, 'invalid duration for dial_timeout');
  }
  if (dialTimeoutMs < 0) throw invalid(chaincodeId, 'dial_timeout must not be negative');
  // As in Fabric, zero means the default.
  if (dialTimeoutMs === 0) dialTimeoutMs = DEFAULT_DIAL_TIMEOUT_MS;

  if (!flag(chaincodeId, c, 'tls_required')) return { address, dialTimeoutMs };
  const clientAuthRequired = flag(chaincodeId, c, 'client_auth_required');
  const clientKey = value('client_key');
  const clientCert = value('client_cert');
  const rootCert = value('root_cert');
  if (clientAuthRequired && clientKey === '')
    throw invalid(chaincodeId, 'chaincode tls key not provided');
  if (clientAuthRequired && clientCert === '')
    throw invalid(chaincodeId, 'chaincode tls cert not provided');
  if (rootCert === '') throw invalid(chaincodeId, 'chaincode tls root cert not provided');
  return {
    address,
    dialTimeoutMs,
    tls: clientAuthRequired
      ? { clientAuthRequired, clientKey, clientCert, rootCert }
      : { clientAuthRequired, rootCert },
  };
}
