/**
 * Reading the YAML tree against the schema: keys are matched without regard to case (as viper
 * does) and stored in the schema's spelling; unknown keys are refused with the keys allowed there
 * and the nearest one; each value is read by its key's format.
 */

import type { ConfigIssue } from '@fabric-peer/api';

import { atSegments, fileSource, issueOf } from './issues.js';
import { isSection, type SchemaIndex, type SectionInfo } from './keys.js';
import { UNSUPPORTED_HOST_CONFIG } from './schema/vm.js';
import { closest } from './suggest.js';
import type { YamlFile } from './yaml.js';

/** What the file sets. */
export interface FileValues {
  /** Value per leaf path (schema spelling), for the leaves the file sets with a valid value. */
  readonly values: Map<string, unknown>;
  /** Where each of those values is in the file (`file:line`), by leaf path. */
  readonly where: Map<string, string>;
  /**
   * Every problem, in the order of the file: unknown keys, keys given twice, scalars where sections
   * belong, and bad values (tagged with their leaf, since an environment override makes them moot).
   */
  readonly issues: { readonly issue: ConfigIssue; readonly leaf?: string }[];
  readonly warnings: string[];
}

// Keys that are not typos but still not accepted, with the reason (lower-cased full paths).
const HINTS: ReadonlyMap<string, string> = new Map([
  [
    'logging',
    'not a core.yaml section: logging is set with FABRIC_LOGGING_SPEC and FABRIC_LOGGING_FORMAT',
  ],
  ...UNSUPPORTED_HOST_CONFIG.map(
    (name) =>
      [
        `vm.docker.hostconfig.${name.toLowerCase()}`,
        `not supported: Fabric ignores ${name} in the chaincode containers' host config; remove it`,
      ] as const,
  ),
]);

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function');
}

/** Reads the values the file sets; never throws. */
export function readFileValues(yaml: YamlFile, index: SchemaIndex, file: string): FileValues {
  const out: FileValues = {
    values: new Map(),
    where: new Map(),
    issues: [],
    warnings: [],
  };
  const sourceAt = (segments: readonly (string | number)[]) =>
    fileSource(file, yaml.lineOf(segments));

  const walk = (value: unknown, section: SectionInfo, written: readonly string[]): void => {
    if (value === null || value === undefined) return; // an empty section sets nothing
    const here = section.path === '' ? 'the top level' : section.path;
    const allowedHere = `${section.path === '' ? 'top-level keys' : `keys of ${section.path}`}: ${section.names.join(', ')}`;
    if (!isPlainMap(value)) {
      out.issues.push({
        issue: {
          key: section.path === '' ? '(top level)' : section.path,
          ...(isScalar(value) ? { value } : {}),
          problem: `${Array.isArray(value) ? 'a list' : 'a value'} where a section is expected`,
          allowed: `a map of ${allowedHere}`,
          source: sourceAt(written),
        },
      });
      return;
    }
    const seen = new Map<string, string>();
    for (const [name, child] of Object.entries(value)) {
      const segments = [...written, name];
      const fullKey = section.path === '' ? name : `${section.path}.${name}`;
      const match = section.child(name);
      if (match === undefined) {
        const hint = HINTS.get(fullKey.toLowerCase());
        const near = hint === undefined ? closest(name, section.names) : undefined;
        const suggestion =
          near === undefined
            ? ''
            : `; did you mean ${section.path === '' ? near : `${section.path}.${near}`}?`;
        out.issues.push({
          issue: {
            key: fullKey,
            ...(isScalar(child) && child !== null ? { value: child } : {}),
            problem: hint ?? `unknown key in ${here}${suggestion}`,
            allowed: allowedHere,
            source: sourceAt(segments),
          },
        });
        continue;
      }
      const earlier = seen.get(match.name);
      if (earlier !== undefined) {
        out.issues.push({
          issue: {
            key: fullKey,
            problem: `given twice (as ${JSON.stringify(earlier)} and ${JSON.stringify(name)}; keys are case-insensitive)`,
            source: sourceAt(segments),
          },
        });
        continue;
      }
      seen.set(match.name, name);
      if (isSection(match.node)) {
        walk(child, match.node, segments);
        continue;
      }
      const leafPath = section.path === '' ? match.name : `${section.path}.${match.name}`;
      const info = index.leaves.get(leafPath);
      if (info === undefined) continue;
      const r = info.leaf.spec.read(child);
      if (r.ok) {
        out.values.set(leafPath, r.value);
        out.where.set(leafPath, sourceAt(segments));
        for (const note of r.notes ?? []) {
          const at = [...segments, ...atSegments(note.at)];
          out.warnings.push(`${leafPath}${note.at ?? ''}: ${note.message} [${sourceAt(at)}]`);
        }
      } else {
        for (const p of r.problems) {
          const issue = issueOf(leafPath, p, sourceAt([...segments, ...atSegments(p.at)]));
          out.issues.push({ issue, leaf: leafPath });
        }
      }
    }
  };

  walk(yaml.data, index.root, []);
  return out;
}
