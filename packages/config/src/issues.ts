/** Turning value problems into config issues, and naming where a value came from. */

import type { ConfigIssue } from '@fabric-peer/api';

import type { ValueProblem } from './formats.js';

/** Splits the `at` of a problem (`[1].name`, `.cscc`) into path segments. */
export function atSegments(at: string | undefined): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const m of (at ?? '').matchAll(/\[(\d+)\]|\.([^.[\]]+)/g)) {
    if (m[1] !== undefined) segments.push(Number(m[1]));
    else if (m[2] !== undefined) segments.push(m[2]);
  }
  return segments;
}

/** The issue for one problem in the value of `key`. */
export function issueOf(
  key: string,
  problem: ValueProblem,
  source: string | undefined,
): ConfigIssue {
  return {
    key: `${key}${problem.at ?? ''}`,
    ...(problem.value !== undefined ? { value: problem.value } : {}),
    problem: problem.problem,
    ...(problem.allowed !== undefined ? { allowed: problem.allowed } : {}),
    ...(source !== undefined ? { source } : {}),
  };
}

/** A file path with a line number when known: `/etc/fabric/core.yaml:42`. */
export function fileSource(file: string, line: number | undefined): string {
  return line === undefined ? file : `${file}:${line}`;
}
