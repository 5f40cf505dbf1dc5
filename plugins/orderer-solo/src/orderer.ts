/**
 * The development ordering service: Fabric's AtomicBroadcast (Broadcast and Deliver) over gRPC,
 * one solo chain per joined channel, blocks signed by the orderer's MSP identity and kept in the
 * block store under `<fileSystemPath>/chains/<channel>`. Channels are joined from their genesis
 * block (channel participation) and restored from disk at start.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger, MetricsProvider, SigningIdentity } from '@fabric-peer/api';
import {
  openBlockIndexDb,
  openBlockStore,
  type BlockIndexDb,
  type BlockStore,
} from '@fabric-peer/ledger';
import { createMsp, loadMspFolder } from '@fabric-peer/msp';
import {
  bundleFromBlock,
  PolicyPaths,
  type BundleOptions,
  type ChannelConfigBundle,
} from '@fabric-peer/policies';
import { AtomicBroadcastService, common, type AtomicBroadcastServer } from '@fabric-peer/protos';
import { broadcastHandler, type BroadcastMetrics, type BroadcastSupport } from './broadcast.js';
import { lastConfigIndex, toNumber } from './blockwriter.js';
import { SoloChain } from './chain.js';
import { deliverHandler, type DeliverMetrics, type DeliverSupport } from './deliver.js';
import { isConfigBlock } from './envelope.js';
import { messageOf, OrdererError } from './errors.js';
import { StreamRegistry } from './streams.js';

/** PEM text or bytes. */
export type PemInput = string | Uint8Array;

/** TLS of the orderer's listener. */
export interface SoloOrdererTls {
  /** The server certificate (PEM; with its chain if any). */
  readonly cert: PemInput;
  /** Its private key (PEM). */
  readonly key: PemInput;
  /** Roots that client certificates must chain to. */
  readonly clientRootCAs?: readonly PemInput[];
  /** Require a client certificate (mutual TLS); seek requests must then carry its hash. */
  readonly clientAuthRequired?: boolean;
}

/** Options of {@link SoloOrderer}. */
export interface SoloOrdererOptions {
  /** `host:port` to serve AtomicBroadcast on; port 0 picks a free port (see {@link SoloOrderer.port}). */
  readonly listenAddress: string;
  readonly tls?: SoloOrdererTls;
  /** The orderer's MSP folder in cryptogen's layout (signcerts, keystore, cacerts, ...). */
  readonly mspDir: string;
  /** Its MSP id, e.g. `OrdererMSP`. */
  readonly mspId: string;
  /** Where the chains are kept: `<fileSystemPath>/chains/<channel>` and `<fileSystemPath>/index`. */
  readonly fileSystemPath: string;
  readonly logger: Logger;
  /** Fabric's broadcast, deliver and blockcutter metrics; none when absent. */
  readonly metrics?: MetricsProvider;
  /** Fabric's General.Authentication.TimeWindow for seek requests; default 15 minutes. */
  readonly timeWindowMs?: number;
  /** Largest message received or sent; default 100 MiB, as Fabric's orderer. */
  readonly maxMessageSize?: number;
  /** fsync each block (default true); tests may turn it off. */
  readonly sync?: boolean;
  /** The clock of time-window and expiration checks; default the system clock. */
  readonly now?: () => Date;
}

/** A joined channel. */
export interface OrdererChannelInfo {
  readonly channelId: string;
  /** Number of blocks. */
  readonly height: number;
}

const DEFAULT_TIME_WINDOW_MS = 15 * 60 * 1000;
const DEFAULT_MAX_MESSAGE_SIZE = 100 * 1024 * 1024;
const CHANNEL_ID = /^[a-z][a-z0-9.-]*$/;
const SHUTDOWN_GRACE_MS = 1000;

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

function pem(input: PemInput): Buffer {
  return typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
}

function parseAddress(address: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[2]) : NaN;
  if (m === null || (m[1] ?? '') === '' || port > 65535) {
    throw new OrdererError(
      'ORDERER_OPTIONS_INVALID',
      `listenAddress ${JSON.stringify(address)} is not host:port`,
      { details: { listenAddress: address } },
    );
  }
  return { host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port };
}

/**
 * A development ordering service speaking Fabric's AtomicBroadcast protocol, so peers and clients
 * use it exactly as they use a Fabric orderer. One node, no consensus: a solo chain per channel.
 */
export class SoloOrderer {
  readonly #options: SoloOrdererOptions;
  readonly #logger: Logger;
  readonly #now: () => Date;
  #state: State = 'new';
  #signer: SigningIdentity | undefined;
  #indexDb: BlockIndexDb | undefined;
  #server: grpc.Server | undefined;
  #port = 0;
  readonly #chains = new Map<string, SoloChain>();
  readonly #joining = new Set<string>();
  readonly #pendingJoins = new Set<Promise<unknown>>();
  readonly #streams = new StreamRegistry();
  readonly #broadcastMetrics: BroadcastMetrics | undefined;
  readonly #deliverMetrics: DeliverMetrics | undefined;
  readonly #metrics: MetricsProvider | undefined;

  constructor(options: SoloOrdererOptions) {
    parseAddress(options.listenAddress);
    if (
      options.tls?.clientAuthRequired === true &&
      (options.tls.clientRootCAs ?? []).length === 0
    ) {
      throw new OrdererError(
        'ORDERER_OPTIONS_INVALID',
        'tls.clientAuthRequired needs tls.clientRootCAs (the roots client certificates chain to)',
      );
    }
    this.#options = options;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.#metrics = options.metrics;
    const m = options.metrics;
    if (m !== undefined) {
      const broadcastLabels = ['channel', 'type', 'status'];
      this.#broadcastMetrics = {
        validateDuration: m.newHistogram({
          namespace: 'broadcast',
          name: 'validate_duration',
          help: 'The time to validate a transaction in seconds.',
          labelNames: broadcastLabels,
        }),
        enqueueDuration: m.newHistogram({
          namespace: 'broadcast',
          name: 'enqueue_duration',
          help: 'The time to enqueue a transaction in seconds.',
          labelNames: broadcastLabels,
        }),
        processedCount: m.newCounter({
          namespace: 'broadcast',
          name: 'processed_count',
          help: 'The number of transactions processed.',
          labelNames: broadcastLabels,
        }),
      };
      const deliverLabels = ['channel', 'filtered', 'data_type'];
      this.#deliverMetrics = {
        streamsOpened: m.newCounter({
          namespace: 'deliver',
          name: 'streams_opened',
          help: 'The number of GRPC streams that have been opened for the deliver service.',
        }),
        streamsClosed: m.newCounter({
          namespace: 'deliver',
          name: 'streams_closed',
          help: 'The number of GRPC streams that have been closed for the deliver service.',
        }),
        requestsReceived: m.newCounter({
          namespace: 'deliver',
          name: 'requests_received',
          help: 'The number of deliver requests that have been received.',
          labelNames: deliverLabels,
        }),
        requestsCompleted: m.newCounter({
          namespace: 'deliver',
          name: 'requests_completed',
          help: 'The number of deliver requests that have been completed.',
          labelNames: [...deliverLabels, 'success'],
        }),
        blocksSent: m.newCounter({
          namespace: 'deliver',
          name: 'blocks_sent',
          help: 'The number of blocks sent by the deliver service.',
          labelNames: deliverLabels,
        }),
      };
    }
  }

  /** The port the listener is bound to (the chosen one when listenAddress has port 0). */
  get port(): number {
    return this.#port;
  }

  /** `host:port` clients dial (with the bound port). */
  get address(): string {
    const { host } = parseAddress(this.#options.listenAddress);
    return `${host.includes(':') ? `[${host}]` : host}:${this.#port}`;
  }

  /** The orderer's signing identity (loaded at start). */
  get signer(): SigningIdentity {
    if (this.#signer === undefined) {
      throw new OrdererError('ORDERER_NOT_RUNNING', 'the orderer is not started');
    }
    return this.#signer;
  }

  /** The joined channels, by name. */
  channels(): OrdererChannelInfo[] {
    return [...this.#chains.values()]
      .map((c) => ({ channelId: c.channelId, height: c.height }))
      .sort((a, b) => (a.channelId < b.channelId ? -1 : a.channelId > b.channelId ? 1 : 0));
  }

  /**
   * Loads the signing identity, opens the chains kept under fileSystemPath and serves
   * AtomicBroadcast. Throws an {@link OrdererError} (or the block store's error) and leaves
   * nothing open on failure.
   */
  async start(): Promise<void> {
    if (this.#state === 'starting' || this.#state === 'running' || this.#state === 'stopping') {
      throw new OrdererError('ORDERER_ALREADY_STARTED', 'the orderer is already started');
    }
    this.#state = 'starting';
    try {
      this.#signer = this.#loadSigner();
      await mkdir(this.#options.fileSystemPath, { recursive: true });
      this.#indexDb = await openBlockIndexDb(this.#options.fileSystemPath);
      await this.#restoreChains();
      await this.#serve();
    } catch (err) {
      await this.#closeEverything();
      this.#state = 'stopped';
      throw err;
    }
    this.#state = 'running';
    this.#logger.info('Orderer started', {
      address: this.address,
      tls: this.#options.tls !== undefined,
      mutualTls: this.#mutualTls,
      channels: [...this.#chains.keys()].join(','),
    });
  }

  /**
   * Stops: every channel orders what it accepted and writes its pending batch, waiting
   * deliveries end with SERVICE_UNAVAILABLE, open streams with gRPC UNAVAILABLE; then the
   * listener and the block stores close.
   */
  async stop(): Promise<void> {
    if (this.#state !== 'running') return;
    this.#state = 'stopping';
    await Promise.allSettled([...this.#pendingJoins]);
    await Promise.all([...this.#chains.values()].map((c) => c.halt()));
    await this.#streams.settle(SHUTDOWN_GRACE_MS);
    this.#streams.closeAll('the orderer is stopping');
    await this.#closeEverything();
    this.#state = 'stopped';
    this.#logger.info('Orderer stopped');
  }

  /**
   * Channel participation's join: starts ordering for the channel whose genesis block (block 0,
   * a config block with an orderer and an application section) is given, and keeps it, so the
   * channel is back after a restart.
   */
  async joinChannel(genesisBlock: Uint8Array | common.Block): Promise<OrdererChannelInfo> {
    if (this.#state !== 'running') {
      throw new OrdererError('ORDERER_NOT_RUNNING', 'the orderer is not running');
    }
    const job = this.#join(genesisBlock);
    this.#pendingJoins.add(job);
    try {
      return await job;
    } finally {
      this.#pendingJoins.delete(job);
    }
  }

  get #mutualTls(): boolean {
    return this.#options.tls?.clientAuthRequired === true;
  }

  #bundleOptions(): BundleOptions {
    return { logger: this.#logger.child('channelconfig') };
  }

  #loadSigner(): SigningIdentity {
    const { mspDir, mspId } = this.#options;
    try {
      const config = loadMspFolder(mspDir, mspId, { signing: true, logger: this.#logger });
      return createMsp(config, { version: 'v1_4_3' }).defaultSigningIdentity();
    } catch (err) {
      throw new OrdererError(
        'ORDERER_IDENTITY_INVALID',
        `cannot load the orderer's signing identity (MSP ${mspId}) from ${mspDir}: ${messageOf(err)}`,
        { cause: err, details: { mspDir, mspId } },
      );
    }
  }

  async #openStore(channelId: string): Promise<BlockStore> {
    const indexDb = this.#indexDb;
    if (indexDb === undefined) {
      throw new OrdererError('ORDERER_NOT_RUNNING', 'the orderer is not started');
    }
    return openBlockStore({
      dir: this.#options.fileSystemPath,
      channelId,
      indexDb,
      logger: this.#logger.child('blockstore'),
      ...(this.#options.sync !== undefined ? { sync: this.#options.sync } : {}),
    });
  }

  #newChain(
    store: BlockStore,
    bundle: ChannelConfigBundle,
    lastBlock: common.Block,
    lastConfigBlockNum: number,
  ): SoloChain {
    const fill = this.#metrics?.newHistogram({
      namespace: 'blockcutter',
      name: 'block_fill_duration',
      help: 'The time from first transaction enqueing to the block being cut in seconds.',
      labelNames: ['channel'],
    });
    return new SoloChain({
      channelId: bundle.channelId,
      store,
      signer: this.signer,
      bundle,
      logger: this.#logger.child('solo'),
      lastBlock,
      lastConfigBlockNum,
      lastConfigSeq: bundle.sequence,
      now: this.#now,
      ...(fill !== undefined ? { blockFillDuration: fill } : {}),
    });
  }

  async #restoreChains(): Promise<void> {
    const chainsDir = join(this.#options.fileSystemPath, 'chains');
    let names: string[];
    try {
      names = (await readdir(chainsDir, { withFileTypes: true }))
        .filter((e) => e.isDirectory() && CHANNEL_ID.test(e.name))
        .map((e) => e.name)
        .sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const channelId of names) {
      let store: BlockStore | undefined;
      try {
        store = await this.#openStore(channelId);
        const height = store.info().height;
        if (height === 0) {
          // A join that stopped before its genesis block was written: not a channel.
          this.#logger.warn('Ignoring a chain folder without blocks', { channel: channelId });
          await store.close();
          continue;
        }
        const lastBlock = await store.getBlockByNumber(height - 1);
        if (lastBlock === undefined) throw new Error(`block ${height - 1} cannot be read`);
        const configNum = lastConfigIndex(lastBlock) ?? 0;
        const configBlock = await store.getBlockByNumber(configNum);
        if (configBlock === undefined) throw new Error(`config block ${configNum} cannot be read`);
        const bundle = await bundleFromBlock(configBlock, this.#bundleOptions());
        this.#chains.set(channelId, this.#newChain(store, bundle, lastBlock, configNum));
        this.#logger.info('Restored channel', {
          channel: channelId,
          height,
          lastConfig: configNum,
          sequence: bundle.sequence.toString(),
        });
      } catch (err) {
        await store?.close();
        throw new OrdererError(
          'CHAIN_RESTORE_FAILED',
          `cannot restore channel ${channelId} from ${join(chainsDir, channelId)}: ${messageOf(err)}`,
          { cause: err, details: { channelId } },
        );
      }
    }
  }

  async #serve(): Promise<void> {
    const { host, port } = parseAddress(this.#options.listenAddress);
    const max = this.#options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    const server = new grpc.Server({
      'grpc.max_receive_message_length': max,
      'grpc.max_send_message_length': max,
      'grpc.enable_channelz': 0,
    });
    const chain = (channelId: string): SoloChain | undefined => this.#chains.get(channelId);
    const broadcast: BroadcastSupport = {
      chain,
      logger: this.#logger.child('broadcast'),
      ...(this.#broadcastMetrics ? { metrics: this.#broadcastMetrics } : {}),
    };
    const deliver: DeliverSupport = {
      chain,
      logger: this.#logger.child('deliver'),
      timeWindowMs: this.#options.timeWindowMs ?? DEFAULT_TIME_WINDOW_MS,
      mutualTls: this.#mutualTls,
      now: this.#now,
      ...(this.#deliverMetrics ? { metrics: this.#deliverMetrics } : {}),
    };
    const implementation: AtomicBroadcastServer = {
      broadcast: broadcastHandler(broadcast, this.#streams),
      deliver: deliverHandler(deliver, this.#streams),
    };
    server.addService(AtomicBroadcastService, implementation);
    const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    this.#server = server;
    this.#port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(target, this.#credentials(), (err, bound) => {
        if (err) {
          reject(
            new OrdererError(
              'ORDERER_LISTEN_FAILED',
              `cannot listen on ${this.#options.listenAddress}: ${err.message}`,
              { cause: err, details: { listenAddress: this.#options.listenAddress } },
            ),
          );
        } else resolve(bound);
      });
    });
  }

  #credentials(): grpc.ServerCredentials {
    const tls = this.#options.tls;
    if (tls === undefined) return grpc.ServerCredentials.createInsecure();
    const roots = tls.clientRootCAs ?? [];
    return grpc.ServerCredentials.createSsl(
      roots.length > 0 ? Buffer.concat(roots.map(pem)) : null,
      [{ private_key: pem(tls.key), cert_chain: pem(tls.cert) }],
      tls.clientAuthRequired === true,
    );
  }

  async #closeEverything(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    for (const chain of this.#chains.values()) {
      await chain.halt();
      try {
        await chain.store.close();
      } catch (err) {
        this.#logger.warn('Closing a block store failed', {
          channel: chain.channelId,
          error: messageOf(err),
        });
      }
    }
    this.#chains.clear();
    const indexDb = this.#indexDb;
    this.#indexDb = undefined;
    await indexDb?.close();
    this.#port = 0;
  }

  async #join(input: Uint8Array | common.Block): Promise<OrdererChannelInfo> {
    const invalid = (message: string, cause?: unknown): OrdererError =>
      new OrdererError('JOIN_BLOCK_INVALID', message, cause === undefined ? {} : { cause });
    let block: common.Block;
    try {
      block = input instanceof Uint8Array ? common.Block.decode(input) : input;
    } catch (err) {
      throw invalid(`the join block does not decode: ${messageOf(err)}`, err);
    }
    if (!isConfigBlock(block)) throw invalid('block is not a config block');
    const number = toNumber(block.header?.number);
    if (number !== 0) {
      throw invalid(
        `the join block is block ${number}: this development orderer joins a channel only from its genesis block (block 0), having no other orderer to fetch the blocks before it from`,
      );
    }
    let bundle: ChannelConfigBundle;
    try {
      bundle = await bundleFromBlock(block, this.#bundleOptions());
    } catch (err) {
      throw invalid(messageOf(err), err);
    }
    if (bundle.consortiums !== undefined) throw invalid('system channel not supported');
    if (bundle.application === undefined) {
      throw invalid('invalid config: must have at least one of application or consortiums');
    }
    if (bundle.orderer === undefined) throw invalid('invalid config: no orderer section');
    await this.#assertSigns(bundle);

    const channelId = bundle.channelId;
    if (this.#chains.has(channelId) || this.#joining.has(channelId)) {
      throw new OrdererError('CHANNEL_EXISTS', 'channel already exists', {
        details: { channelId },
      });
    }
    this.#joining.add(channelId);
    let store: BlockStore | undefined;
    try {
      store = await this.#openStore(channelId);
      if (store.info().height > 0) {
        throw new OrdererError(
          'CHANNEL_EXISTS',
          `channel already exists: ${join(this.#options.fileSystemPath, 'chains', channelId)} holds blocks`,
          { details: { channelId } },
        );
      }
      try {
        await store.addBlock(block);
      } catch (err) {
        throw invalid(`the genesis block cannot start the chain: ${messageOf(err)}`, err);
      }
      const chain = this.#newChain(store, bundle, block, 0);
      this.#chains.set(channelId, chain);
      this.#logger.info('Joined channel', { channel: channelId });
      return { channelId, height: chain.height };
    } catch (err) {
      await store?.close();
      throw err;
    } finally {
      this.#joining.delete(channelId);
    }
  }

  /**
   * Peers accept a block only if its signature satisfies `/Channel/Orderer/BlockValidation`:
   * refuse a channel whose blocks this orderer could not sign acceptably.
   */
  async #assertSigns(bundle: ChannelConfigBundle): Promise<void> {
    const policy = bundle.policyManager.getPolicy(PolicyPaths.BlockValidation);
    if (policy === undefined) return;
    const signer = this.signer;
    const data = Buffer.from(`fabric-peer orderer-solo join check ${bundle.channelId}`);
    try {
      await policy.evaluateSignedData([
        { data, identity: signer.serialize(), signature: await signer.sign(data) },
      ]);
    } catch (err) {
      throw new OrdererError(
        'JOIN_BLOCK_INVALID',
        `this orderer's identity (MSP ${this.#options.mspId}) does not satisfy ${PolicyPaths.BlockValidation} of channel ${bundle.channelId}, so peers would refuse its blocks: ${messageOf(err)}`,
        { cause: err, details: { channelId: bundle.channelId } },
      );
    }
  }
}
