/**
 * What an administrator does with Fabric's `peer` command to put a chaincode on a channel, done
 * through the peer's Endorser and the orderer's Broadcast: `peer channel join`, `peer lifecycle
 * chaincode install`, `approveformyorg`, `commit`, then `peer chaincode invoke` of InitLedger. Each
 * step first asks whether it is done already, so a restart skips what an earlier start did.
 */
import type { Signer } from '@fabric-peer/api';
import { lifecycle, protos, type common } from '@fabric-peer/protos';
import { broadcast, type EndorserClient } from './clients.js';
import { DevnetError, messageOf } from './errors.js';
import { buildSignedProposal, transactionEnvelope } from './proposal.js';

const LIFECYCLE = '_lifecycle';
const enc = new TextEncoder();
const dec = new TextDecoder();

/** What the steps read of the peer's ledger of the channel (a KvLedger). */
export interface CommittedTransactions {
  getTransactionByID(txId: string): Promise<protos.ProcessedTransaction | undefined>;
  getBlockByTxId(txId: string): Promise<common.Block | undefined>;
}

/** How the steps reach the network. */
export interface AdminContext {
  readonly endorser: EndorserClient;
  readonly ordererAddress: string;
  readonly channelId: string;
  /** The organization's admin (lifecycle, join). */
  readonly admin: Signer;
  /** The channel's ledger on the peer, to wait for commits; read when needed (after the join). */
  readonly ledger: () => CommittedTransactions;
  /** Aborts between steps. */
  readonly checkAborted: () => void;
  /** How long a transaction may take to be committed. */
  readonly commitTimeoutMs?: number;
}

/** The definition the development network approves and commits (Fabric's defaults otherwise). */
export interface DefinitionSpec {
  readonly name: string;
  readonly version: string;
  readonly sequence: number;
}

/** A transaction committed VALID. */
export interface Committed {
  readonly txId: string;
  readonly blockNumber: number;
}

function stepFailed(what: string, response: protos.IProposalResponse): DevnetError {
  const status = response.response?.status ?? 0;
  return new DevnetError(
    'DEVNET_STEP_FAILED',
    `${what}: ${status} ${response.response?.message ?? ''}`.trimEnd(),
    { details: { status } },
  );
}

/** Sends a proposal; resolves with the response whatever its status. */
export async function propose(
  ctx: AdminContext,
  signer: Signer,
  channelId: string,
  chaincode: string,
  args: readonly (string | Uint8Array)[],
): Promise<{ response: protos.ProposalResponse; submit: () => Promise<Committed> }> {
  const built = await buildSignedProposal({ signer, channelId, chaincode, args });
  const response = await ctx.endorser.processProposal(built.signed);
  return {
    response,
    submit: async () => {
      const envelope = await transactionEnvelope(built, [response], signer);
      await broadcast(ctx.ordererAddress, envelope);
      return waitForCommit(ctx, built.txId);
    },
  };
}

/** Calls and requires status 200; resolves with the response payload. */
async function call(
  ctx: AdminContext,
  what: string,
  signer: Signer,
  channelId: string,
  chaincode: string,
  args: readonly (string | Uint8Array)[],
): Promise<Uint8Array> {
  const { response } = await propose(ctx, signer, channelId, chaincode, args);
  if (response.response?.status !== 200) throw stepFailed(what, response);
  return response.response.payload ?? new Uint8Array(0);
}

/** Endorses, orders and waits until the peer committed the transaction; it must be VALID. */
export async function invoke(
  ctx: AdminContext,
  what: string,
  signer: Signer,
  chaincode: string,
  args: readonly (string | Uint8Array)[],
): Promise<Committed> {
  const { response, submit } = await propose(ctx, signer, ctx.channelId, chaincode, args);
  if (response.response?.status !== 200) throw stepFailed(what, response);
  try {
    return await submit();
  } catch (err) {
    throw new DevnetError('DEVNET_STEP_FAILED', `${what}: ${messageOf(err)}`, { cause: err });
  }
}

/** Polls the peer's ledger until `txId` is committed; throws unless it is VALID. */
export async function waitForCommit(ctx: AdminContext, txId: string): Promise<Committed> {
  const deadline = Date.now() + (ctx.commitTimeoutMs ?? 60_000);
  for (;;) {
    const ledger = ctx.ledger();
    const tx = await ledger.getTransactionByID(txId);
    if (tx !== undefined) {
      const code: number = tx.validationCode;
      if (code !== (protos.TxValidationCode.VALID as number)) {
        throw new DevnetError(
          'DEVNET_STEP_FAILED',
          `transaction ${txId} was committed with status ${protos.TxValidationCode[code] ?? code}`,
          { details: { txId, code } },
        );
      }
      const block = await ledger.getBlockByTxId(txId);
      return { txId, blockNumber: Number(block?.header?.number ?? -1) };
    }
    if (Date.now() > deadline) {
      throw new DevnetError(
        'DEVNET_STEP_FAILED',
        `transaction ${txId} was not committed by the peer within ${Math.round((ctx.commitTimeoutMs ?? 60_000) / 1000)} s`,
        { details: { txId } },
      );
    }
    ctx.checkAborted();
    await new Promise((r) => setTimeout(r, 25));
  }
}

// ---- channel ------------------------------------------------------------------------------------

/** cscc JoinChain with the channel's genesis block, as `peer channel join -b`. */
export async function joinChannel(ctx: AdminContext, genesis: Uint8Array): Promise<void> {
  await call(ctx, `peer channel join ${ctx.channelId}`, ctx.admin, '', 'cscc', [
    'JoinChain',
    genesis,
  ]);
}

// ---- _lifecycle ---------------------------------------------------------------------------------

/** The committed definition of `name`, or `undefined` when none is (404). */
export async function queryCommitted(
  ctx: AdminContext,
  name: string,
): Promise<lifecycle.QueryChaincodeDefinitionResult | undefined> {
  const { response } = await propose(ctx, ctx.admin, ctx.channelId, LIFECYCLE, [
    'QueryChaincodeDefinition',
    lifecycle.QueryChaincodeDefinitionArgs.encode({ name }).finish(),
  ]);
  if (response.response?.status === 404) return undefined;
  if (response.response?.status !== 200) {
    throw stepFailed(`querying the definition of ${name}`, response);
  }
  return lifecycle.QueryChaincodeDefinitionResult.decode(
    response.response.payload ?? new Uint8Array(0),
  );
}

/** The package ID of the installed package labelled `label`, if any. */
export async function findInstalled(ctx: AdminContext, label: string): Promise<string | undefined> {
  const payload = await call(ctx, 'listing installed chaincodes', ctx.admin, '', LIFECYCLE, [
    'QueryInstalledChaincodes',
    lifecycle.QueryInstalledChaincodesArgs.encode({}).finish(),
  ]);
  const result = lifecycle.QueryInstalledChaincodesResult.decode(payload);
  return result.installedChaincodes.find((c) => c.label === label)?.packageId ?? undefined;
}

/** InstallChaincode; resolves with the package ID. */
export async function install(ctx: AdminContext, pkg: Uint8Array): Promise<string> {
  const payload = await call(ctx, 'installing the chaincode', ctx.admin, '', LIFECYCLE, [
    'InstallChaincode',
    lifecycle.InstallChaincodeArgs.encode({ chaincodeInstallPackage: pkg }).finish(),
  ]);
  return lifecycle.InstallChaincodeResult.decode(payload).packageId;
}

/** CheckCommitReadiness: the organizations that approved `def` as given. */
export async function approvals(
  ctx: AdminContext,
  def: DefinitionSpec,
): Promise<Record<string, boolean>> {
  const payload = await call(
    ctx,
    'checking commit readiness',
    ctx.admin,
    ctx.channelId,
    LIFECYCLE,
    ['CheckCommitReadiness', lifecycle.CheckCommitReadinessArgs.encode({ ...def }).finish()],
  );
  return lifecycle.CheckCommitReadinessResult.decode(payload).approvals;
}

/** ApproveChaincodeDefinitionForMyOrg for the installed `packageId`, ordered and committed. */
export function approve(
  ctx: AdminContext,
  def: DefinitionSpec,
  packageId: string,
): Promise<Committed> {
  return invoke(ctx, `approving ${def.name}`, ctx.admin, LIFECYCLE, [
    enc.encode('ApproveChaincodeDefinitionForMyOrg'),
    lifecycle.ApproveChaincodeDefinitionForMyOrgArgs.encode({
      ...def,
      source: { localPackage: { packageId } },
    }).finish(),
  ]);
}

/** CommitChaincodeDefinition, ordered and committed. */
export function commit(ctx: AdminContext, def: DefinitionSpec): Promise<Committed> {
  return invoke(ctx, `committing ${def.name}`, ctx.admin, LIFECYCLE, [
    enc.encode('CommitChaincodeDefinition'),
    lifecycle.CommitChaincodeDefinitionArgs.encode({ ...def }).finish(),
  ]);
}

/** Endorses a chaincode call without submitting it (a query); resolves with its result text. */
export async function query(
  ctx: AdminContext,
  signer: Signer,
  chaincode: string,
  args: readonly string[],
): Promise<string> {
  const payload = await call(
    ctx,
    `${chaincode} ${args[0] ?? ''}`,
    signer,
    ctx.channelId,
    chaincode,
    args,
  );
  return dec.decode(payload);
}
