/**
 * The peer's own identity (Fabric's local MSP), loaded from `peer.mspConfigPath` as the first
 * service, so a missing or broken MSP stops start-up with an error naming the key. It is loaded at
 * start, not when the container is built, because `config check` must accept configurations whose
 * MSP folder lives on another machine (Fabric's own sample core.yaml, for one).
 */
import {
  inject,
  injectable,
  LoggerFactory,
  PeerConfig,
  type Logger,
  type Service,
} from '@fabric-peer/api';
import { loadLocalMsp, type LocalMsp } from '@fabric-peer/msp';

@injectable()
export class LocalMspService implements Service {
  readonly name = 'local-msp';
  readonly #logger: Logger;
  #local: LocalMsp | undefined;

  constructor(
    @inject(PeerConfig) private readonly config: PeerConfig,
    @inject(LoggerFactory) loggers: LoggerFactory,
  ) {
    this.#logger = loggers('node.msp');
  }

  /** The local MSP and its signing identity; only after start. */
  get local(): LocalMsp {
    if (!this.#local) throw new Error('the local MSP is loaded when the peer starts');
    return this.#local;
  }

  start(): Promise<void> {
    const local = loadLocalMsp(this.config, { logger: this.#logger });
    this.#local = local;
    this.#logger.info('local MSP loaded', {
      mspId: local.msp.id,
      identity: local.signer.subject,
      expires: local.signer.expiresAt.toISOString(),
      folder: local.mspDir,
    });
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}
