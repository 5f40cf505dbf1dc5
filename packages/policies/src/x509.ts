/**
 * The peer's MSP for channel configs: Fabric's X.509 MSP from @fabric-peer/msp (Fabric's peer
 * accepts no other). Bundles use it unless a test injects another factory.
 */
import { createMsp } from '@fabric-peer/msp';
import type { ChannelMsp, ChannelMspFactory } from './msp.js';

/** Sets up an X.509 MSP from an org's `MSP` config value at the channel's MSP version. */
export const x509MspFactory: ChannelMspFactory = (config, version): ChannelMsp => {
  const msp = createMsp(config, { version });
  return {
    mspId: msp.id,
    tlsRootCerts: msp.tlsRootCerts,
    tlsIntermediateCerts: msp.tlsIntermediateCerts,
    deserializeIdentity: (serialized) => msp.deserializeIdentity(serialized),
  };
};
