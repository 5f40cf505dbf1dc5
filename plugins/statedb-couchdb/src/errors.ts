/**
 * Errors of the CouchDB state database. Each carries a machine-readable `code` and, in `details`,
 * the CouchDB address and, where there is one, the database and the HTTP status. Credentials never
 * appear in a message or in the details.
 */
import { FabricPeerError } from '@fabric-peer/api';

/** Codes of {@link CouchDbError}. */
export type CouchDbErrorCode =
  /** CouchDB did not answer (refused, reset, timed out) after every retry. */
  | 'COUCHDB_UNREACHABLE'
  /** CouchDB answered with an HTTP error status. */
  | 'COUCHDB_REQUEST_FAILED'
  /** CouchDB answered something this plugin cannot read. */
  | 'COUCHDB_BAD_RESPONSE'
  /** The server is not a CouchDB this plugin can use (version, data format). */
  | 'COUCHDB_UNSUPPORTED_SERVER'
  /** A channel or namespace does not make a valid CouchDB database name. */
  | 'COUCHDB_INVALID_NAME'
  /** A key CouchDB cannot hold was read or written. */
  | 'COUCHDB_INVALID_KEY'
  /** A rich query is not a JSON object Fabric accepts. */
  | 'COUCHDB_INVALID_QUERY'
  /** A rich-query bookmark cannot be used on this server. */
  | 'COUCHDB_INVALID_BOOKMARK'
  /** The server returns no `_find` bookmarks and the query needs one that cannot be emulated. */
  | 'COUCHDB_BOOKMARKS_UNSUPPORTED'
  /** One or more index files of a chaincode package could not be applied. */
  | 'COUCHDB_INVALID_INDEX'
  /** A stored document is not in Fabric's layout. */
  | 'COUCHDB_INVALID_DOCUMENT'
  /** The provider or database was used after close(). */
  | 'COUCHDB_CLOSED';

/** A failure of the CouchDB state database. */
export class CouchDbError extends FabricPeerError {
  declare readonly code: CouchDbErrorCode;

  constructor(
    code: CouchDbErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }

  /** HTTP status of the answer that failed, when there was one. */
  get status(): number | undefined {
    const s = this.details['status'];
    return typeof s === 'number' ? s : undefined;
  }
}
