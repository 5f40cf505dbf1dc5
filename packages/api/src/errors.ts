/**
 * Errors carry a machine-readable `code`, an optional `cause` and typed details. They are mapped to
 * gRPC or Fabric statuses only at the edge (the servers), never inside the peer's logic.
 */

/** Base class of every error the peer raises on purpose. */
export class FabricPeerError extends Error {
  /** Stable, machine-readable identifier, e.g. `CONFIG_INVALID`. */
  readonly code: string;
  /** Structured facts about the failure, for logs and for tests. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** One problem found in a configuration: which key, what value, what would have been accepted. */
export interface ConfigIssue {
  /** Dotted key path as written in core.yaml, e.g. `peer.listenAddress`. */
  readonly key: string;
  /** The offending value, if there was one. */
  readonly value?: unknown;
  /** What is wrong, in words. */
  readonly problem: string;
  /** What is allowed instead, in words (a format, a list of values). */
  readonly allowed?: string;
  /** Where the value came from: a file path or an environment variable name. */
  readonly source?: string;
}

/** Renders one issue as a single line: `key: problem (got value; allowed: ...) [source]`. */
export function formatConfigIssue(issue: ConfigIssue): string {
  const parts: string[] = [];
  if (issue.value !== undefined) parts.push(`got ${describeValue(issue.value)}`);
  if (issue.allowed !== undefined) parts.push(`allowed: ${issue.allowed}`);
  const detail = parts.length > 0 ? ` (${parts.join('; ')})` : '';
  const source = issue.source !== undefined ? ` [from ${issue.source}]` : '';
  return `${issue.key}: ${issue.problem}${detail}${source}`;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The configuration cannot be used as it stands. The message lists every issue, one per line. */
export class ConfigError extends FabricPeerError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options: { cause?: unknown } = {}) {
    const lines = issues.map(formatConfigIssue);
    const message =
      lines.length === 1
        ? `invalid configuration: ${lines[0]}`
        : `invalid configuration (${lines.length} problems):\n  ${lines.join('\n  ')}`;
    super('CONFIG_INVALID', message, { ...options, details: { issues } });
    this.issues = issues;
  }
}
