/** DefaultAuth: Fabric's pass-through filter; it exists so a chain always has a head. */
import { injectable } from '@fabric-peer/api';
import { ForwardingFilter } from './forwarding-filter.js';

@injectable()
export class DefaultAuth extends ForwardingFilter {
  protected check(): void {
    // Everything passes.
  }
}
