/**
 * The peer without its network side, for offline tools (`fabric-peer ledger import|inspect`, in the
 * spirit of Fabric's offline `peer node` commands and ledgerutil). It is the same kernel `start`
 * builds — the plugins core.yaml names and the node's own services — but only the services a tool
 * needs are started: never a gRPC listener, the operations server, block delivery, the ordering
 * client, the endorser or the gateway. Nothing listens and no orderer is contacted.
 */
import type { Service } from '@fabric-peer/api';
import type { Channel, ChannelRegistry } from '@fabric-peer/channel';
import type { Committer } from '@fabric-peer/committer';
import { LifecycleManager, type Kernel } from '@fabric-peer/core';
import { ledgerConfig, ledgersDataPath, type LedgerManager } from '@fabric-peer/ledger';
import { ChannelsService } from './channels.js';
import { CommitterService } from './committer.js';
import { LedgersService } from './ledgers.js';
import { LedgerToolError } from './ledger-tool-error.js';
import { createKernel, STOP_TIMEOUT_MS, type PeerOptions } from './peer.js';

/** Which of the peer's services an offline tool starts. */
export type OfflineScope =
  /** The ledger manager alone: reading ledgers. */
  | 'ledgers'
  /**
   * What joining channels and committing blocks needs, exactly as the running peer does them: the
   * local MSP, the ledgers, the channels, chaincode definitions (`_lifecycle`, lscc; the system
   * chaincodes in process, no chaincode runtime launched) and the committer.
   */
  | 'committer';

const SERVICES: Record<OfflineScope, readonly string[]> = {
  ledgers: ['ledgers'],
  committer: ['local-msp', 'ledgers', 'channels', 'chaincode', 'committer'],
};

/** Error codes of the stores that mean "another process holds this LevelDB". */
const IN_USE_CODES = new Set(['DB_IN_USE', 'STATEDB_IN_USE', 'INDEX_IN_USE', 'LEVEL_LOCKED']);

function lockHeld(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; depth += 1) {
    const { code, cause } = e as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' && IN_USE_CODES.has(code)) return true;
    e = cause;
  }
  return false;
}

/** A peer assembled for an offline tool; see the module comment. */
export class OfflinePeer {
  readonly #lifecycle: LifecycleManager;

  private constructor(
    readonly kernel: Kernel,
    readonly scope: OfflineScope,
  ) {
    // Only the named services are resolved: the others (listeners, operations) are never even
    // built, so their configuration is not touched.
    const services: Service[] = SERVICES[scope].map((name) => kernel.registry.get('service', name));
    this.#lifecycle = new LifecycleManager(services, kernel.loggerFactory('core.lifecycle'), {
      stopTimeoutMs: STOP_TIMEOUT_MS,
    });
  }

  /** Builds the kernel from core.yaml (every plugin loaded and checked); nothing is started. */
  static async create(options: PeerOptions, scope: OfflineScope): Promise<OfflinePeer> {
    return new OfflinePeer(await createKernel(options), scope);
  }

  /** `peer.fileSystemPath`. */
  get fileSystemPath(): string {
    return ledgerConfig(this.kernel.config).fileSystemPath;
  }

  /** `<peer.fileSystemPath>/ledgersData`. */
  get ledgersDir(): string {
    return ledgersDataPath(this.fileSystemPath);
  }

  /** Services in start order. */
  get services(): readonly string[] {
    return this.#lifecycle.order;
  }

  /**
   * Starts the scope's services. The ledgers' LevelDB lock held by another process (a running
   * peer) is a {@link LedgerToolError} `LEDGER_IN_USE` that says so.
   */
  async start(): Promise<void> {
    try {
      await this.#lifecycle.start();
    } catch (err) {
      if (lockHeld(err)) {
        throw new LedgerToolError(
          'LEDGER_IN_USE',
          `the ledgers in ${this.ledgersDir} are locked by another process: is a peer running on this fileSystemPath? Stop it first (peer.fileSystemPath: ${this.fileSystemPath})`,
          { cause: err, details: { fileSystemPath: this.fileSystemPath } },
        );
      }
      // A LifecycleError "<service>: <what failed>" already names the service and the cause.
      throw err;
    }
  }

  stop(): Promise<void> {
    return this.#lifecycle.stop();
  }

  /** The ledger manager; after start. */
  get ledgers(): LedgerManager {
    return this.kernel.container.get(LedgersService).manager;
  }

  /** The joined channels (join as cscc JoinChain does); after start, scope `committer`. */
  get channels(): ChannelRegistry {
    this.#need('committer');
    return this.kernel.container.get(ChannelsService).registry;
  }

  /** The channel's committer, the one the peer feeds delivered blocks to; scope `committer`. */
  committerFor(channel: Channel): Committer {
    this.#need('committer');
    return this.kernel.container.get(CommitterService).committerFor(channel);
  }

  #need(scope: OfflineScope): void {
    if (this.scope !== scope) {
      throw new Error(`the offline peer was started with scope "${this.scope}", not "${scope}"`);
    }
  }
}
