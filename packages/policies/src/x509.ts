/**
 * The peer's MSP for channel configs: Fabric's X.509 MSP from @fabric-peer/msp (Fabric's peer
 * accepts no other). Bundles use it unless a test injects another factory.
 */
import { createMsp } from '@fabric-peer/msp';
import type { ChannelMsp, ChannelMspFactory } from './msp.js';

/**
 * Signatures a channel MSP remembers as verified: the endorser checks a proposal's creator
 * signature and the `peer/Propose` ACL checks the same one moments later, so this covers the
 * proposals in flight (each entry holds at most 2 KiB: up to 1 MiB per org; failures are never
 * remembered).
 */
const VERIFIED_SIGNATURES = 512;

/** Sets up an X.509 MSP from an org's `MSP` config value at the channel's MSP version. */
export const x509MspFactory: ChannelMspFactory = (config, version): ChannelMsp => {
  const msp = createMsp(config, {
    version,
    cacheSizes: { verifiedSignatures: VERIFIED_SIGNATURES },
  });
  return {
    mspId: msp.id,
    tlsRootCerts: msp.tlsRootCerts,
    tlsIntermediateCerts: msp.tlsIntermediateCerts,
    deserializeIdentity: (serialized) => msp.deserializeIdentity(serialized),
  };
};
