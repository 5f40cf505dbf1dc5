/**
 * The conformance suite of the state database extension point, after Fabric's
 * `statedb/commontests`: one set of node:test tests that every implementation runs against itself.
 */
import { describe } from 'node:test';
import { capabilityTests } from './cases/capabilities.js';
import { commitTests } from './cases/commit.js';
import { rangeTests } from './cases/range.js';
import { readWriteTests } from './cases/read-write.js';
import type { ConformanceOptions, StateDbFactory, SuiteSettings } from './harness.js';

/** One MiB: the size of the suite's large values. */
export const LARGE_VALUE_BYTES = 1024 * 1024;

/**
 * Registers the conformance tests of a state database implementation with node:test, under
 * `describe(name)`. Call it at the top level of a test file. Each test calls `factory` for fresh
 * storage, opens providers on it (and reopens them to check persistence), uses channels of its
 * own, and closes and cleans up whatever happens. Tests of optional methods (`executeQuery`,
 * `loadCommittedVersions`, `processIndexes`) and of the rules `bytesKeySupported()` selects are
 * registered only for the capabilities `options.capabilities` declares, and a test checks that
 * the declaration is true — nothing is skipped.
 */
export function runStateDbConformance(
  name: string,
  factory: StateDbFactory,
  options: ConformanceOptions,
): void {
  const settings: SuiteSettings = {
    factory,
    capabilities: options.capabilities,
    jsonValues: options.jsonValues ?? 'bytes',
    largeValueBytes: options.largeValueBytes ?? LARGE_VALUE_BYTES,
  };
  describe(`state database conformance: ${name}`, () => {
    readWriteTests(settings);
    rangeTests(settings);
    commitTests(settings);
    capabilityTests(settings);
  });
}
