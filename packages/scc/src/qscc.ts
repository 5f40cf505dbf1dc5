/** qscc, the ledger query system chaincode (Fabric's core/scc/qscc/query.go). */
import type { ChaincodeResponse, SystemChaincode, SystemChaincodeStub } from '@fabric-peer/api';
import type { ChannelRegistry } from '@fabric-peer/channel';
import type { KvLedger } from '@fabric-peer/ledger';
import type { AclProvider } from '@fabric-peer/policies';
import { common, protos } from '@fabric-peer/protos';
import { failure, invokedChaincodeName, messageOf, success, text } from './util.js';

export interface QsccOptions {
  readonly channels: ChannelRegistry;
  readonly acl: AclProvider;
}

const MAX_UINT64 = 0xffff_ffff_ffff_ffffn;
const DECIMAL = /^[0-9]+$/;

/** Go's strconv.ParseUint(s, 10, 64), with its error text. */
function parseUint64(s: string): bigint {
  if (!DECIMAL.test(s))
    throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = BigInt(s);
  if (n > MAX_UINT64) {
    throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range`);
  }
  return n;
}

export class Qscc implements SystemChaincode {
  readonly name = 'qscc';

  constructor(private readonly options: QsccOptions) {}

  init(): Promise<ChaincodeResponse> {
    return Promise.resolve(success());
  }

  async invoke(stub: SystemChaincodeStub): Promise<ChaincodeResponse> {
    const args = stub.getArgs();
    if (args.length < 2) return failure(`Incorrect number of arguments, ${args.length}`);
    const fname = text(args[0]);
    const cid = text(args[1]);
    const sp = stub.getSignedProposal();
    if (sp === undefined) {
      return failure(`Failed getting signed proposal from stub, ${cid}: no signed proposal`);
    }
    let name: string;
    try {
      name = invokedChaincodeName(sp.proposalBytes ?? new Uint8Array(0));
    } catch (err) {
      return failure(`Failed to identify the called chaincode: ${messageOf(err)}`);
    }
    if (name !== this.name) {
      return failure(
        `Rejecting invoke of QSCC from another chaincode because of potential for deadlocks, original invocation for '${name}'`,
      );
    }
    if (fname !== 'GetChainInfo' && args.length < 3) {
      return failure(`missing 3rd argument for ${fname}`);
    }
    const channel = this.options.channels.get(cid);
    if (channel === undefined) return failure(`Invalid chain ID, ${cid}`);
    try {
      await this.options.acl.checkACL(`qscc/${fname}`, cid, sp);
    } catch (err) {
      return failure(`access denied for [${fname}][${cid}]: [${messageOf(err)}]`);
    }
    const ledger = channel.ledger;
    const arg = args[2] ?? new Uint8Array(0);
    try {
      switch (fname) {
        case 'GetTransactionByID':
          return await this.transactionById(ledger, text(arg));
        case 'GetBlockByNumber':
          return await this.blockByNumber(ledger, text(arg));
        case 'GetBlockByHash':
          return await this.blockByHash(ledger, arg);
        case 'GetChainInfo':
          return success(common.BlockchainInfo.encode(ledger.getBlockchainInfo()).finish());
        case 'GetBlockByTxID':
          return await this.blockByTxId(ledger, text(arg));
        default:
          return failure(`Requested function ${fname} not found.`);
      }
    } catch (err) {
      return failure(messageOf(err));
    }
  }

  private async transactionById(ledger: KvLedger, txId: string): Promise<ChaincodeResponse> {
    const tx = await ledger.getTransactionByID(txId);
    if (tx === undefined) {
      return failure(
        `Failed to get transaction with id ${txId}, error no such transaction ID [${txId}] in index`,
      );
    }
    return success(protos.ProcessedTransaction.encode(tx).finish());
  }

  private async blockByNumber(ledger: KvLedger, arg: string): Promise<ChaincodeResponse> {
    let n: bigint;
    try {
      n = parseUint64(arg);
    } catch (err) {
      return failure(`Failed to parse block number with error ${messageOf(err)}`);
    }
    const height = BigInt(ledger.getBlockchainInfo().height.toString());
    // math.MaxUint64 asks for the last block.
    const wanted = n === MAX_UINT64 ? height - 1n : n;
    const block = wanted < height ? await ledger.getBlockByNumber(Number(wanted)) : undefined;
    if (block === undefined) {
      return failure(
        `Failed to get block number ${n}, error no such block number [${wanted}] in index`,
      );
    }
    return success(common.Block.encode(block).finish());
  }

  private async blockByHash(ledger: KvLedger, hash: Uint8Array): Promise<ChaincodeResponse> {
    const block = await ledger.getBlockByHash(hash);
    if (block === undefined) {
      return failure(
        `Failed to get block hash ${text(hash)}, error no such block hash [${Buffer.from(hash).toString('hex')}] in index`,
      );
    }
    return success(common.Block.encode(block).finish());
  }

  private async blockByTxId(ledger: KvLedger, txId: string): Promise<ChaincodeResponse> {
    const block = await ledger.getBlockByTxId(txId);
    if (block === undefined) {
      return failure(
        `Failed to get block for txID ${txId}, error no such transaction ID [${txId}] in index`,
      );
    }
    return success(common.Block.encode(block).finish());
  }
}
