/** Fabric's endorser metrics (core/endorser/metrics.go), same names, labels and statsd formats. */
import type { Counter, Histogram, MetricsProvider } from '@fabric-peer/api';

export interface EndorserMetrics {
  readonly proposalDuration: Histogram;
  readonly proposalsReceived: Counter;
  readonly successfulProposals: Counter;
  readonly proposalValidationFailed: Counter;
  readonly proposalACLCheckFailed: Counter;
  readonly initFailed: Counter;
  readonly endorsementsFailed: Counter;
  readonly duplicateTxsFailure: Counter;
  readonly simulationFailure: Counter;
}

const noopCounter: Counter = { add: () => undefined };
const noopHistogram: Histogram = { observe: () => undefined };

const CC = ['channel', 'chaincode'] as const;
const CC_FORMAT = '%{#fqname}.%{channel}.%{chaincode}';

export function endorserMetrics(provider: MetricsProvider | undefined): EndorserMetrics {
  if (provider === undefined) {
    return {
      proposalDuration: noopHistogram,
      proposalsReceived: noopCounter,
      successfulProposals: noopCounter,
      proposalValidationFailed: noopCounter,
      proposalACLCheckFailed: noopCounter,
      initFailed: noopCounter,
      endorsementsFailed: noopCounter,
      duplicateTxsFailure: noopCounter,
      simulationFailure: noopCounter,
    };
  }
  const ns = 'endorser';
  return {
    proposalDuration: provider.newHistogram({
      namespace: ns,
      name: 'proposal_duration',
      help: 'The time to complete a proposal.',
      labelNames: ['channel', 'chaincode', 'success'],
      statsdFormat: '%{#fqname}.%{channel}.%{chaincode}.%{success}',
    }),
    proposalsReceived: provider.newCounter({
      namespace: ns,
      name: 'proposals_received',
      help: 'The number of proposals received.',
    }),
    successfulProposals: provider.newCounter({
      namespace: ns,
      name: 'successful_proposals',
      help: 'The number of successful proposals.',
    }),
    proposalValidationFailed: provider.newCounter({
      namespace: ns,
      name: 'proposal_validation_failures',
      help: 'The number of proposals that have failed initial validation.',
    }),
    proposalACLCheckFailed: provider.newCounter({
      namespace: ns,
      name: 'proposal_acl_failures',
      help: 'The number of proposals that failed ACL checks.',
      labelNames: CC,
      statsdFormat: CC_FORMAT,
    }),
    initFailed: provider.newCounter({
      namespace: ns,
      name: 'chaincode_instantiation_failures',
      help: 'The number of chaincode instantiations or upgrade that have failed.',
      labelNames: CC,
      statsdFormat: CC_FORMAT,
    }),
    endorsementsFailed: provider.newCounter({
      namespace: ns,
      name: 'endorsement_failures',
      help: 'The number of failed endorsements.',
      labelNames: ['channel', 'chaincode', 'chaincodeerror'],
      statsdFormat: '%{#fqname}.%{channel}.%{chaincode}.%{chaincodeerror}',
    }),
    duplicateTxsFailure: provider.newCounter({
      namespace: ns,
      name: 'duplicate_transaction_failures',
      help: 'The number of failed proposals due to duplicate transaction ID.',
      labelNames: CC,
      statsdFormat: CC_FORMAT,
    }),
    simulationFailure: provider.newCounter({
      namespace: ns,
      name: 'proposal_simulation_failures',
      help: 'The number of failed proposal simulations',
      labelNames: CC,
      statsdFormat: CC_FORMAT,
    }),
  };
}
