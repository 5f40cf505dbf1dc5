/**
 * Reading core.yaml with eemeli/yaml: plain data for the loader, the line of every key for error
 * messages, and syntax errors reported with file, line and column.
 */

import { readFileSync } from 'node:fs';

import type { ConfigIssue } from '@fabric-peer/api';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

/** A parsed YAML file. */
export interface YamlFile {
  /** The file's content as plain data (null for an empty file). */
  readonly data: unknown;
  /** The 1-based line of the key or item at a path of keys as written (and list indexes). */
  lineOf(segments: readonly (string | number)[]): number | undefined;
}

/** The result of {@link readYamlFile}: the file, or its syntax errors. */
export type YamlResult =
  | { readonly ok: true; readonly file: YamlFile }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

const SEP = '\u0000';

/**
 * Reads and parses a YAML file. Merge keys (`<<`) are honoured, as Fabric's YAML parser does;
 * duplicate keys are errors, as they are for Fabric.
 */
export function readYamlFile(file: string): YamlResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      issues: [{ key: 'config file', value: file, problem: `cannot be read: ${reason}` }],
    };
  }
  return parseYamlText(text, file);
}

/** Parses YAML text that came from `file` (used in messages only). */
export function parseYamlText(text: string, file: string): YamlResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => {
        const at = lineCounter.linePos(e.pos[0]);
        // The library's message repeats the position and quotes the source; keep the sentence.
        const message = e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? '';
        return {
          key: file,
          problem: `YAML syntax error at line ${at.line}, column ${at.col}: ${message}`,
        };
      }),
    };
  }

  const lines = new Map<string, number>();
  const walk = (node: Node | null | undefined, path: (string | number)[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        if (!isScalar(keyNode)) continue;
        const segment = [...path, String(keyNode.value)];
        if (keyNode.range) lines.set(segment.join(SEP), lineCounter.linePos(keyNode.range[0]).line);
        walk(pair.value as Node | null, segment);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const segment = [...path, i];
        const n = item as Node | null;
        if (n?.range) lines.set(segment.join(SEP), lineCounter.linePos(n.range[0]).line);
        walk(n, segment);
      });
    }
  };
  walk(doc.contents, []);

  return {
    ok: true,
    file: {
      data: doc.toJS({ maxAliasCount: 1000 }) as unknown,
      lineOf: (segments) => lines.get(segments.map(String).join(SEP)),
    },
  };
}
