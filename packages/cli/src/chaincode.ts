/**
 * `fabric-peer chaincode invoke|query`: a client of the peer's Gateway service, built on
 * `@hyperledger/fabric-gateway` like any application, acting as the identity a development
 * network's `connection.json` names (User1 of Org1MSP). `invoke` endorses, submits and waits for
 * the commit; `query` evaluates. Arguments as Fabric's `peer chaincode invoke -c '{"Args":[...]}'`.
 */
import { createPrivateKey } from 'node:crypto';
import type { Command } from 'commander';
import * as grpc from '@grpc/grpc-js';
import type { ErrorDetail } from '@hyperledger/fabric-gateway';
import { DEFAULT_DEVNET_DIR, readConnectionFile } from '@fabric-peer/devnet';

/** Where the command writes. */
export interface ChaincodeIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** A failure reported as `Error: <message>` and exit code 1. */
export class ChaincodeCommandError extends Error {}

interface CallOptions {
  readonly channel: string;
  readonly name: string;
  readonly args?: string;
  readonly ctor?: string;
  readonly dir: string;
}

const CONNECT_TIMEOUT_MS = 5_000;
const CALL_TIMEOUT_MS = 60_000;

function argList(value: unknown, where: string): string[] {
  if (!Array.isArray(value)) {
    throw new ChaincodeCommandError(`${where}: expected a JSON array of strings`);
  }
  return value.map((v, i) => {
    if (typeof v === 'string') return v;
    // Numbers and booleans as text: what the chaincode receives is bytes either way.
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new ChaincodeCommandError(
      `${where}[${i}]: expected a string, got ${v === null ? 'null' : typeof v}`,
    );
  });
}

function parseJson(text: string, flag: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ChaincodeCommandError(
      `${flag}: not JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
}

/**
 * The chaincode input, function name first: from `--args '["Fn","a"]'`, or from Fabric's
 * `-c '{"Args":["Fn","a"]}'` / `-c '{"function":"Fn","Args":["a"]}'` (keys in any case, as Go's
 * encoding/json matches them).
 */
export function parseCallArgs(options: { args?: string; ctor?: string }): string[] {
  if (options.args !== undefined && options.ctor !== undefined) {
    throw new ChaincodeCommandError('give the arguments once: --args or -c, not both');
  }
  let list: string[];
  if (options.args !== undefined) {
    list = argList(parseJson(options.args, '--args'), '--args');
  } else if (options.ctor !== undefined) {
    const value = parseJson(options.ctor, '-c');
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new ChaincodeCommandError(
        `-c: expected an object such as '{"Args":["ReadAsset","asset1"]}'`,
      );
    }
    const field = (name: string): unknown =>
      Object.entries(value).find(([k]) => k.toLowerCase() === name)?.[1];
    const fn = field('function');
    if (fn !== undefined && typeof fn !== 'string') {
      throw new ChaincodeCommandError('-c: "function" must be a string');
    }
    const args = field('args');
    list = [
      ...(fn !== undefined ? [fn] : []),
      ...(args === undefined ? [] : argList(args, '-c Args')),
    ];
  } else {
    throw new ChaincodeCommandError(
      `the chaincode arguments are required: --args '["ReadAsset","asset1"]' (or -c '{"Args":[...]}')`,
    );
  }
  if (list.length === 0 || list[0] === '') {
    throw new ChaincodeCommandError(
      'the arguments must start with the function name, e.g. ["ReadAsset","asset1"]',
    );
  }
  return list;
}

function detailLines(details: readonly ErrorDetail[]): string {
  return details.map((d) => `\n  ${d.address || '?'} (${d.mspId || '?'}): ${d.message}`).join('');
}

/** The gateway's error with its details and transaction id, as one message. */
function gatewayFailure(err: unknown): ChaincodeCommandError {
  const e = err as { message?: unknown; details?: unknown; transactionId?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const details = Array.isArray(e.details) ? detailLines(e.details as ErrorDetail[]) : '';
  const txId = typeof e.transactionId === 'string' ? `\n  txid: ${e.transactionId}` : '';
  return new ChaincodeCommandError(`${message}${details}${txId}`, { cause: err });
}

function waitForReady(client: grpc.Client, address: string): Promise<void> {
  return new Promise((resolve, reject) =>
    client.waitForReady(Date.now() + CONNECT_TIMEOUT_MS, (err) =>
      err
        ? reject(
            new ChaincodeCommandError(
              `cannot connect to the peer at ${address} within ${CONNECT_TIMEOUT_MS / 1000} s: is \`fabric-peer dev up\` running?`,
              { cause: err },
            ),
          )
        : resolve(),
    ),
  );
}

async function call(io: ChaincodeIo, verb: 'invoke' | 'query', opts: CallOptions): Promise<number> {
  const [fn, ...args] = parseCallArgs(opts) as [string, ...string[]];
  const connection = await readConnectionFile(opts.dir);
  if (connection.tls) {
    throw new ChaincodeCommandError(
      `${connection.file}: the peer uses TLS, which this command does not support yet`,
    );
  }
  // Loaded here: only this command needs the client library.
  const { connect, signers, StatusCode } = await import('@hyperledger/fabric-gateway');
  const client = new grpc.Client(connection.peerAddress, grpc.credentials.createInsecure());
  const deadline = (): grpc.CallOptions => ({ deadline: Date.now() + CALL_TIMEOUT_MS });
  try {
    await waitForReady(client, connection.peerAddress);
    const gateway = connect({
      client,
      identity: { mspId: connection.mspId, credentials: connection.certificate },
      signer: signers.newPrivateKeySigner(createPrivateKey(connection.privateKey)),
      evaluateOptions: deadline,
      endorseOptions: deadline,
      submitOptions: deadline,
      commitStatusOptions: deadline,
    });
    try {
      const contract = gateway.getNetwork(opts.channel).getContract(opts.name);
      const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
      if (verb === 'query') {
        let result: Uint8Array;
        try {
          result = await contract.evaluate(fn, { arguments: args });
        } catch (err) {
          throw gatewayFailure(err);
        }
        io.out(`${text(result)}\n`);
        return 0;
      }
      let submitted;
      let status;
      try {
        submitted = await contract.submitAsync(fn, { arguments: args });
        status = await submitted.getStatus();
      } catch (err) {
        throw gatewayFailure(err);
      }
      const names = Object.fromEntries(
        Object.entries(StatusCode).map(([name, code]) => [code, name]),
      ) as Record<number, string>;
      const code = `${names[status.code] ?? 'UNKNOWN'} (block ${status.blockNumber})`;
      if (!status.successful) {
        throw new ChaincodeCommandError(
          `transaction ${status.transactionId} was committed as invalid: ${code}; the chaincode's result is not in the ledger`,
        );
      }
      io.out(
        `result: ${text(submitted.getResult())}\n` +
          `txid: ${status.transactionId}\n` +
          `validation code: ${code}\n`,
      );
      return 0;
    } finally {
      gateway.close();
    }
  } finally {
    client.close();
  }
}

/**
 * Adds `chaincode invoke` and `chaincode query` to the program. `run` receives each action's
 * exit code, as the other commands' actions hand theirs.
 */
export function registerChaincodeCommands(
  program: Command,
  io: ChaincodeIo,
  run: (code: Promise<number> | number) => void,
): void {
  const chaincode = program
    .command('chaincode')
    .description("Call a chaincode through the Gateway of a development network's peer");
  const verbs = {
    invoke:
      'Endorse and submit a transaction, wait for its commit, print result, txid and validation code',
    query: 'Evaluate a transaction (nothing is submitted) and print its result',
  } as const;
  for (const verb of ['invoke', 'query'] as const) {
    chaincode
      .command(verb)
      .description(verbs[verb])
      .requiredOption('-C, --channel <name>', 'the channel, e.g. mychannel')
      .requiredOption('-n, --name <chaincode>', 'the chaincode, e.g. basic')
      .option('--args <json>', `function and arguments as a JSON array: '["ReadAsset","asset1"]'`)
      .option('-c, --ctor <json>', `Fabric's form: '{"Args":["ReadAsset","asset1"]}'`)
      .option(
        '--dir <dir>',
        'the development network folder holding connection.json',
        DEFAULT_DEVNET_DIR,
      )
      .action((o: CallOptions) => run(call(io, verb, o)));
  }
}
