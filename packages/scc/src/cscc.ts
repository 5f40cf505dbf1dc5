/** cscc, the configuration system chaincode (Fabric's core/scc/cscc/configure.go). */
import type {
  ChaincodeResponse,
  Logger,
  SystemChaincode,
  SystemChaincodeStub,
} from '@fabric-peer/api';
import { checkJoinBlock, type Channel, type ChannelRegistry } from '@fabric-peer/channel';
import { AclResources, type AclProvider } from '@fabric-peer/policies';
import { common, protos } from '@fabric-peer/protos';
import { failure, invokedChaincodeName, messageOf, success, text } from './util.js';

export interface CsccOptions {
  readonly channels: ChannelRegistry;
  readonly acl: AclProvider;
  readonly logger: Logger;
}

const TRANSACTIONS_FILTER = common.BlockMetadataIndex.TRANSACTIONS_FILTER as number;

/** The channel id in a block's first envelope (Fabric's GetChannelIDFromBlock). */
function channelIdOf(block: common.Block): string {
  const first = block.data?.data?.[0];
  if (first === undefined) throw new Error('failed to retrieve channel id - block is empty');
  const env = common.Envelope.decode(first);
  const payload = common.Payload.decode(env.payload ?? new Uint8Array(0));
  if (!payload.header) throw new Error('failed to retrieve channel id - payload header is empty');
  return common.ChannelHeader.decode(payload.header.channelHeader ?? new Uint8Array(0)).channelId;
}

/** The index of the last config block, from a block's metadata (protoutil). */
function lastConfigIndex(block: common.Block): number {
  const metadata = block.metadata?.metadata ?? [];
  const sigs = common.Metadata.decode(
    metadata[common.BlockMetadataIndex.SIGNATURES] ?? new Uint8Array(0),
  );
  if ((sigs.value?.length ?? 0) === 0) {
    const lc = common.Metadata.decode(
      metadata[common.BlockMetadataIndex.LAST_CONFIG] ?? new Uint8Array(0),
    );
    return Number(common.LastConfig.decode(lc.value ?? new Uint8Array(0)).index ?? 0);
  }
  const obm = common.OrdererBlockMetadata.decode(sigs.value ?? new Uint8Array(0));
  return Number(obm.lastConfig?.index ?? 0);
}

export class Cscc implements SystemChaincode {
  readonly name = 'cscc';

  constructor(private readonly options: CsccOptions) {}

  init(): Promise<ChaincodeResponse> {
    return Promise.resolve(success());
  }

  async invoke(stub: SystemChaincodeStub): Promise<ChaincodeResponse> {
    const args = stub.getArgs();
    if (args.length < 1) return failure(`Incorrect number of arguments, ${args.length}`);
    const fname = text(args[0]);
    if (fname !== 'GetChannels' && fname !== 'JoinBySnapshotStatus' && args.length < 2) {
      return failure(`Incorrect number of arguments, ${args.length}`);
    }
    const sp = stub.getSignedProposal();
    if (sp === undefined) {
      return failure('Failed getting signed proposal from stub: [no signed proposal]');
    }
    let name: string;
    try {
      name = invokedChaincodeName(sp.proposalBytes ?? new Uint8Array(0));
    } catch (err) {
      return failure(`Failed to identify the called chaincode: ${messageOf(err)}`);
    }
    if (name !== this.name) {
      return failure(
        `Rejecting invoke of CSCC from another chaincode, original invocation for '${name}'`,
      );
    }
    const acl = this.options.acl;
    const arg = args[1] ?? new Uint8Array(0);
    switch (fname) {
      case 'JoinChain':
        return this.joinChain(arg, sp);
      case 'JoinChainBySnapshot': {
        if (arg.length === 0)
          return failure('Cannot join the channel, no snapshot directory provided');
        try {
          await acl.checkACL(AclResources.Cscc_JoinChainBySnapshot, '', sp);
        } catch (err) {
          return failure(`access denied for [${fname}]: [${messageOf(err)}]`);
        }
        return failure('joining a channel from a snapshot is not supported by this peer');
      }
      case 'JoinBySnapshotStatus': {
        try {
          await acl.checkACL(AclResources.Cscc_JoinBySnapshotStatus, '', sp);
        } catch (err) {
          return failure(`access denied for [${fname}]: ${messageOf(err)}`);
        }
        // No join by snapshot ever runs here.
        return success(protos.JoinBySnapshotStatus.encode({}).finish());
      }
      case 'GetConfigBlock': {
        const channelId = text(arg);
        try {
          await acl.checkACL(AclResources.Cscc_GetConfigBlock, channelId, sp);
        } catch (err) {
          return failure(`access denied for [${fname}][${channelId}]: ${messageOf(err)}`);
        }
        const channel = this.options.channels.get(channelId);
        if (channel === undefined) return failure(`Unknown channel ID, ${channelId}`);
        try {
          return success(common.Block.encode(await this.configBlock(channel)).finish());
        } catch (err) {
          return failure(messageOf(err));
        }
      }
      case 'GetChannelConfig': {
        const channelId = text(arg);
        if (channelId === '') return failure('empty channel name provided');
        try {
          await acl.checkACL(AclResources.Cscc_GetChannelConfig, channelId, sp);
        } catch (err) {
          return failure(`access denied for [${fname}][${channelId}]: ${messageOf(err)}`);
        }
        const channel = this.options.channels.get(channelId);
        if (channel === undefined) return failure(`unknown channel ID, ${channelId}`);
        return success(common.Config.encode(channel.bundle().config).finish());
      }
      case 'GetChannels': {
        try {
          await acl.checkACL(AclResources.Cscc_GetChannels, '', sp);
        } catch (err) {
          return failure(`access denied for [${fname}]: ${messageOf(err)}`);
        }
        return success(
          protos.ChannelQueryResponse.encode({
            channels: this.options.channels.ids().map((channelId) => ({ channelId })),
          }).finish(),
        );
      }
      default:
        return failure(`Requested function ${fname} not found.`);
    }
  }

  private async joinChain(
    blockBytes: Uint8Array,
    sp: protos.ISignedProposal,
  ): Promise<ChaincodeResponse> {
    if (blockBytes.length === 0) {
      return failure('Cannot join the channel <nil> configuration block provided');
    }
    let block: common.Block;
    try {
      block = common.Block.decode(blockBytes);
    } catch (err) {
      return failure(`Failed to reconstruct the genesis block, ${messageOf(err)}`);
    }
    let cid: string;
    try {
      cid = channelIdOf(block);
    } catch (err) {
      return failure(
        `"JoinChain" request failed to extract channel id from the block due to [${messageOf(err)}]`,
      );
    }
    try {
      checkJoinBlock(block);
    } catch (err) {
      return failure(
        `"JoinChain" for channelID = ${cid} failed because of validation of configuration block, because of ${messageOf(err)}`,
      );
    }
    try {
      await this.options.acl.checkACL(AclResources.Cscc_JoinChain, '', sp);
    } catch (err) {
      return failure(`access denied for [JoinChain][${cid}]: [${messageOf(err)}]`);
    }
    // A genesis block without validation codes: every transaction in it is valid.
    const metadata = block.metadata ?? common.BlockMetadata.create();
    const slots = (metadata.metadata ??= []);
    while (slots.length <= TRANSACTIONS_FILTER) slots.push(new Uint8Array(0));
    if ((slots[TRANSACTIONS_FILTER]?.length ?? 0) === 0) {
      slots[TRANSACTIONS_FILTER] = new Uint8Array(block.data?.data?.length ?? 0);
    }
    block.metadata = metadata;
    try {
      await this.options.channels.join(block);
    } catch (err) {
      return failure(messageOf(err));
    }
    this.options.logger.info('joined channel', { channel: cid });
    return success();
  }

  /** Fabric's ConfigBlockFromLedger: the block the last block names as the last config. */
  private async configBlock(channel: Channel): Promise<common.Block> {
    const ledger = channel.ledger;
    const height = Number(ledger.getBlockchainInfo().height);
    const last = await ledger.getBlockByNumber(height - 1);
    if (last === undefined) throw new Error(`no such block number [${height - 1}] in index`);
    const index = lastConfigIndex(last);
    const block = await ledger.getBlockByNumber(index);
    if (block === undefined) throw new Error(`no such block number [${index}] in index`);
    return block;
  }
}
