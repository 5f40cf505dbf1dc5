/** Fabric's auth.ChainFilters (core/handlers/auth/auth.go). */
import type { AuthFilter, ProposalProcessor } from '@fabric-peer/api';

/**
 * Chains the filters in the order given (`peer.handlers.authFilters`), each forwarding to the next
 * and the last to `last` (the endorser). Returns the head of the chain, or `last` when there are no
 * filters.
 */
export function chainAuthFilters(
  filters: readonly AuthFilter[],
  last: ProposalProcessor,
): ProposalProcessor {
  if (filters.length === 0) return last;
  for (let i = 0; i < filters.length; i++) {
    const filter = filters[i] as AuthFilter;
    filter.init(filters[i + 1] ?? last);
  }
  return filters[0] as AuthFilter;
}
