// Synthetic blocks for the ledger tests come from the repository's test kit.
export {
  ChainBuilder,
  TEST_CHANNEL,
  configTx,
  endorserTx,
  newTxId,
  rwsetBytes,
  text,
  utf8,
  type EndorserTxOptions,
  type NsSets,
} from '@fabric-peer/testkit';
