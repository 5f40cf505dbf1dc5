/** A test network with its channels, the local MSP and the real ACL provider, for the scc tests. */
import type { Identity } from '@fabric-peer/api';
import {
  makeTestNetwork,
  openTestChannels,
  type TestChannels,
  type TestNetwork,
  type TestNetworkOptions,
} from '@fabric-peer/channel/test-support';
import { ChainBuilder, endorserTx } from '@fabric-peer/testkit';
import { createMsp, loadMspFolder } from '@fabric-peer/msp';
import { createAclProvider, type AclProvider, type LocalMsp } from '@fabric-peer/policies';
import { msp } from '@fabric-peer/protos';

export interface SccEnv {
  readonly net: TestNetwork;
  readonly tc: TestChannels;
  readonly localMsp: LocalMsp;
  readonly acl: AclProvider;
  /** A signer whose identity names an MSP no channel or local MSP knows. */
  readonly stranger: { serialize(): Uint8Array; sign(m: Uint8Array): Promise<Uint8Array> };
  /** Commits a block with one valid transaction carrying this read-write set. */
  commit(txId: string, rwset: Uint8Array, channelId?: string): Promise<void>;
  close(): Promise<void>;
}

export async function openSccEnv(
  options: TestNetworkOptions & { readonly join?: boolean } = {},
): Promise<SccEnv> {
  const net = await makeTestNetwork(options);
  const tc = await openTestChannels(net, { join: options.join ?? true });
  const local = createMsp(loadMspFolder(net.peerMspDir, 'Org1MSP', { signing: true }), {
    version: 'v1_4_3',
  });
  const localMsp: LocalMsp = {
    mspId: local.id,
    deserializeIdentity: (b: Uint8Array): Identity => local.deserializeIdentity(b),
  };
  const acl = createAclProvider({ bundles: (id) => tc.channels.get(id)?.bundle(), localMsp });
  const user = net.identities.user;
  const stranger = {
    serialize: () =>
      msp.SerializedIdentity.encode({
        mspid: 'Org9MSP',
        idBytes: msp.SerializedIdentity.decode(user.serialize()).idBytes,
      }).finish(),
    sign: (m: Uint8Array) => user.sign(m),
  };
  return {
    net,
    tc,
    localMsp,
    acl,
    stranger,
    async commit(txId, rwset, channelId = net.channelId) {
      const ledger = tc.channels.get(channelId)?.ledger;
      if (ledger === undefined) throw new Error(`no channel ${channelId}`);
      const last = await ledger.getBlockByNumber(Number(ledger.getBlockchainInfo().height) - 1);
      if (last === undefined) throw new Error('no last block');
      await ledger.commit(ChainBuilder.after(last).block([endorserTx(rwset, { txId, channelId })]));
    },
    async close() {
      await tc.close();
      await net.dispose();
    },
  };
}
