/**
 * A worker of the validator pool: rebuilds the channel's MSPs from its configuration (the same
 * code the main thread uses) and, for a slice of a block's transactions, runs the checks that need
 * no ledger: Fabric's ValidateTransaction (headers, creator certificate and signature, txid,
 * proposal hash) and the verification of every endorsement signature.
 */
import { parentPort } from 'node:worker_threads';
import { createMsp } from '@fabric-peer/msp';
import {
  bundleFromConfig,
  type ChannelConfigBundle,
  type ChannelMspFactory,
} from '@fabric-peer/policies';
import { common, protos } from '@fabric-peer/protos';

import { creatorCheck, dispatchInfo, isFailure, validateTransaction } from './checks.js';
import type { PoolRequest, PoolResult, WirePrecheck } from './pool-protocol.js';

const VALID = protos.TxValidationCode.VALID as number;
const ENDORSER_TRANSACTION = common.HeaderType.ENDORSER_TRANSACTION as number;
const EMPTY = new Uint8Array(0);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

async function check(bundle: ChannelConfigBundle, env: Uint8Array): Promise<WirePrecheck> {
  let otherChannel = false;
  const checkCreator = creatorCheck((channelId) => {
    if (channelId === bundle.channelId) return bundle.deserializer;
    // A creator of another channel is the main thread's to judge (it knows the other channels).
    otherChannel = true;
    return undefined;
  });
  const checked = await validateTransaction(env, checkCreator);
  if (otherChannel) return { code: -1 };
  if (isFailure(checked)) return { code: checked.code, reason: checked.reason };
  if (checked.channelHeader.type !== ENDORSER_TRANSACTION) return { code: VALID };
  const info = dispatchInfo(checked);
  if (isFailure(info)) return { code: VALID };
  const prp = info.proposalResponsePayload;
  const endorsements = await Promise.all(
    info.endorsements.map(async (e) => {
      try {
        const endorser = e.endorser ?? EMPTY;
        const identity = bundle.deserializer.deserializeIdentity(endorser);
        await identity.verify(concat(prp, endorser), e.signature ?? EMPTY);
        return true;
      } catch {
        return false;
      }
    }),
  );
  return { code: VALID, endorsements };
}

/**
 * The X.509 MSP as the peer builds it, without the verified-signature cache: in validation every
 * signature is new, so the cache would only copy messages.
 */
const mspFactory: ChannelMspFactory = (config, version) => {
  const msp = createMsp(config, { version });
  return {
    mspId: msp.id,
    tlsRootCerts: msp.tlsRootCerts,
    tlsIntermediateCerts: msp.tlsIntermediateCerts,
    deserializeIdentity: (serialized) => msp.deserializeIdentity(serialized),
  };
};

/** One worker's state: the configurations it knows, by key (a few recent ones are kept). */
class PoolWorker {
  readonly #bundles = new Map<string, Promise<ChannelConfigBundle>>();

  #bundle(request: PoolRequest): Promise<ChannelConfigBundle> {
    let found = this.#bundles.get(request.configKey);
    if (found === undefined) {
      if (request.config === undefined) {
        throw new Error(`configuration ${request.configKey} unknown to the worker`);
      }
      found = bundleFromConfig(common.Config.decode(request.config), request.channelId, {
        level: request.level,
        mspFactory,
      });
      this.#bundles.set(request.configKey, found);
      found.catch(() => this.#bundles.delete(request.configKey));
      while (this.#bundles.size > 4) this.#bundles.delete(this.#bundles.keys().next().value!);
    }
    return found;
  }

  async handle(request: PoolRequest): Promise<PoolResult> {
    try {
      const bundle = await this.#bundle(request);
      const data = new Uint8Array(request.data);
      const results = await Promise.all(
        request.offsets.slice(0, -1).map((start, i) =>
          check(bundle, data.subarray(start, request.offsets[i + 1])).catch((): WirePrecheck => ({
            code: -1,
          })),
        ),
      );
      return { id: request.id, results };
    } catch (err) {
      return { id: request.id, error: err instanceof Error ? err.message : String(err) };
    }
  }
}

const worker = new PoolWorker();
parentPort?.on('message', (request: PoolRequest) => {
  void worker.handle(request).then((result) => parentPort?.postMessage(result));
});
