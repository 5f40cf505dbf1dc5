/**
 * Custom transaction processors (Fabric's ledger.CustomTxProcessor): at commit, a transaction that
 * is not an endorser transaction gets its read-write set from the processor registered for its
 * header type, run over a simulator. The peer registers one, for CONFIG (`core/peer`
 * ConfigTxProcessor): it stores the ConfigEnvelope under key `CHANNEL_CONFIG_ENV_BYTES` of the
 * empty namespace.
 */
import { common } from '@fabric-peer/protos';
import type { TxSimulator } from './types.js';

export interface CustomTxProcessor {
  /**
   * Records the transaction's writes in `simulator`. Throw InvalidTxError to mark the transaction
   * INVALID_OTHER_REASON; any other error stops the commit of the block.
   * @param initializingLedger true when the block is being re-committed from the block store
   *   (recovery), as Fabric's `synchingState`.
   */
  generateSimulationResults(
    envelope: common.Envelope,
    simulator: TxSimulator,
    initializingLedger: boolean,
  ): Promise<void>;
}

const CONFIG: number = common.HeaderType.CONFIG;

/** The namespace of the channel configuration in state (Fabric's `peerNamespace`). */
export const CHANNEL_CONFIG_NAMESPACE = '';
/** Fabric's `channelConfigKey`. */
export const CHANNEL_CONFIG_KEY = 'CHANNEL_CONFIG_ENV_BYTES';

/** Fabric's ConfigTxProcessor. */
export const configTxProcessor: CustomTxProcessor = {
  async generateSimulationResults(envelope, simulator) {
    const payload = common.Payload.decode(envelope.payload);
    const chdr = common.ChannelHeader.decode(payload.header?.channelHeader ?? new Uint8Array(0));
    if (chdr.type !== CONFIG) {
      throw new Error(`tx type [${common.HeaderType[chdr.type] ?? chdr.type}] is not expected`);
    }
    if (payload.data.length === 0) throw new Error('channel config found nil');
    await simulator.setState(CHANNEL_CONFIG_NAMESPACE, CHANNEL_CONFIG_KEY, payload.data);
  },
};

/** The processors a Fabric peer registers (`internal/peer/node/start.go`): CONFIG only. */
export function defaultCustomTxProcessors(): ReadonlyMap<number, CustomTxProcessor> {
  return new Map([[common.HeaderType.CONFIG, configTxProcessor]]);
}
