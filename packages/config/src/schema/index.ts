/**
 * The whole core.yaml schema, assembled from one module per subsystem. Every leaf has a `doc`, a
 * `format`, Fabric's v2.5.16 `default` and, where the environment can set it, its `CORE_*` name.
 */

import { chaincodeSchema } from './chaincode.js';
import { deepFreeze, withEnvNames, type ConfigOf } from './define.js';
import { ledgerSchema } from './ledger.js';
import { metricsSchema } from './metrics.js';
import { operationsSchema } from './operations.js';
import { peerSchema } from './peer.js';
import { pluginsKey } from './plugins.js';
import { vmSchema } from './vm.js';

function buildCoreSchema() {
  return deepFreeze(
    withEnvNames({
      peer: peerSchema(),
      vm: vmSchema(),
      chaincode: chaincodeSchema(),
      ledger: ledgerSchema(),
      operations: operationsSchema(),
      metrics: metricsSchema(),
      plugins: pluginsKey(),
    }),
  );
}

/**
 * The convict schema of core.yaml: sections of leaves, each leaf a convict property (`doc`,
 * `format`, `default`, `env`, `sensitive`, `nullable`) plus the value format the loader reads it with.
 */
export const coreSchema = buildCoreSchema();

/** The schema's type. */
export type CoreSchema = typeof coreSchema;

/** The effective configuration: every key of core.yaml with its type. */
export type CoreConfig = ConfigOf<CoreSchema>;
