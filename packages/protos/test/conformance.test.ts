// Our generated code against @hyperledger/fabric-protos 0.3.7 (google-protobuf), message by
// message, in both directions, byte for byte.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { descriptorEntries } from '../src/descriptor.js';
import * as namespaces from '../src/generated/fabric.js';
import {
  clusterTypeNames,
  jspbClass,
  jspbEnum,
  jspbTypes,
  type JspbMessage,
} from '../test-support/reference.js';
import { base64Bytes, buildSample, ourClass, variantCount } from '../test-support/samples.js';

/** What we define that fabric-protos does not: the standard gRPC health service. */
const OURS_ONLY = new Set(['grpc.health.v1.HealthCheckRequest', 'grpc.health.v1.HealthCheckResponse']);
const OURS_ONLY_ENUMS = new Set(['grpc.health.v1.HealthCheckResponse.ServingStatus']);

const entries = [...descriptorEntries().values()];
const ourMessages = entries.filter((e) => e.kind === 'message').map((e) => e.fullName);
const ourEnums = entries.filter((e) => e.kind === 'enum');
const compared = ourMessages.filter((name) => !OURS_ONLY.has(name));

void describe('message set', () => {
  const reference = jspbTypes();

  void test('every fabric-protos message (but the orderer cluster ones) exists in ours', () => {
    const missing = [...reference.messages].filter(
      (name) => !clusterTypeNames.has(name) && !ourMessages.includes(name),
    );
    assert.deepEqual(missing, []);
    assert.ok(reference.messages.size > 250, `only ${reference.messages.size} reference messages found`);
  });

  void test('every message of ours exists in fabric-protos, but the health service', () => {
    const extra = ourMessages.filter((name) => !reference.messages.has(name));
    assert.deepEqual(extra.sort(), [...OURS_ONLY].sort());
  });

  void test('the same enums on both sides', () => {
    const refEnums = [...reference.enums].filter((name) => !clusterTypeNames.has(name)).sort();
    const ours = ourEnums.map((e) => e.fullName).filter((name) => !OURS_ONLY_ENUMS.has(name));
    assert.deepEqual(ours.sort(), refEnums);
  });
});

void describe('enum values', () => {
  for (const entry of ourEnums) {
    if (OURS_ONLY_ENUMS.has(entry.fullName)) continue;
    void test(entry.fullName, () => {
      const ref = jspbEnum(entry.fullName);
      assert.ok(ref, `fabric-protos has no enum ${entry.fullName}`);
      // Same names with the same numbers, compared whole so that extra names on either side fail.
      assert.deepEqual({ ...entry.def.values }, { ...ref });
      // And the generated module carries them (name → number and number → name).
      const generated = generatedEnum(entry.fullName);
      for (const [name, value] of Object.entries(ref)) {
        assert.equal(generated[name], value, `${entry.fullName}.${name}`);
        assert.equal(generated[value], name, `${entry.fullName}[${value}]`);
      }
    });
  }
});

/** The enum object of the generated module (name → number and number → name). */
function generatedEnum(fullName: string): Record<string | number, unknown> {
  let obj: unknown = namespaces;
  for (const part of fullName.split('.')) obj = (obj as Record<string, unknown> | undefined)?.[part];
  assert.ok(obj && typeof obj === 'object', `no generated enum ${fullName}`);
  return obj as Record<string | number, unknown>;
}

void describe('every message, both directions, byte for byte', () => {
  let samples = 0;
  for (const name of compared) {
    void test(name, () => {
      const Ours = ourClass(name);
      const Jspb = jspbClass(name);
      assert.ok(Jspb, `fabric-protos has no class for ${name}`);
      for (let variant = 0; variant < variantCount(name); variant++) {
        const sample = buildSample(name, variant);
        samples++;

        // (a) ours → fabric-protos
        const ours = Buffer.from(Ours.encode(sample.ours).finish());
        assert.ok(ours.length > 0 || Object.keys(sample.ours).length === 0, 'sample encodes to nothing');
        assert.deepEqual(
          Buffer.from(Ours.encode(Ours.fromObject(sample.ours)).finish()),
          ours,
          'fromObject changed the encoding',
        );
        const parsed: JspbMessage = Jspb.deserializeBinary(ours);
        assert.deepEqual(base64Bytes(parsed.toObject()), sample.jspbObject, `variant ${variant}: values`);
        assert.deepEqual(Buffer.from(parsed.serializeBinary()), ours, `variant ${variant}: re-encoding`);

        // (b) fabric-protos → ours
        const theirs = Buffer.from(sample.jspb.serializeBinary());
        assert.deepEqual(theirs, ours, `variant ${variant}: setters and our encoder disagree`);
        const decoded = Ours.decode(theirs);
        assert.deepEqual(
          Ours.toObject(decoded, { longs: String, bytes: String }),
          sample.oursObject,
          `variant ${variant}: decoded values`,
        );
        assert.deepEqual(Buffer.from(Ours.encode(decoded).finish()), theirs, `variant ${variant}: our re-encoding`);
      }
    });
  }

  void test('covered every message of ours with at least one sample', () => {
    assert.ok(compared.length > 250);
    assert.ok(samples >= compared.length, `${samples} samples for ${compared.length} messages`);
  });
});
