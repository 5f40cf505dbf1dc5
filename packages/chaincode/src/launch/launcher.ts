/**
 * Launching chaincode (Fabric's RuntimeLauncher): one launch per chaincode id however many callers
 * wait for it, bounded by the startup timeout. The runtime router builds the chaincode; a chaincode
 * server is dialled, any other chaincode is started and connects back to the peer. Either way it
 * then registers through the handler and the launch completes when it is READY.
 */
import type { ChaincodeInstance, Logger } from '@fabric-peer/api';
import { ChaincodeError, type ChaincodeErrorCode } from '../errors.js';
import type { Handler } from '../handler/handler.js';
import type { LaunchMetrics } from '../metrics.js';
import type { HandlerRegistry, LaunchState } from '../registry.js';
import { messagePipeChaincodeStream, type ChaincodeStream } from '../stream.js';
import type { ChaincodeAuthenticator } from '../tls/authenticator.js';
import { connectChaincodeServer } from './external.js';
import type { RuntimeRouter } from './runtime-router.js';
import type { ChaincodeMessagePipe, PeerConnection } from '@fabric-peer/api';

export interface LauncherOptions {
  readonly registry: HandlerRegistry;
  readonly router: RuntimeRouter;
  readonly startupTimeoutMs: number;
  /** Dev mode: nothing is started; a launch waits for the chaincode to register on its own. */
  readonly devMode: boolean;
  /** What launched chaincode dials (`peer.chaincodeAddress`). */
  readonly peerAddress: string;
  /** With TLS: the issuer of per-launch client certificates and the root chaincode must trust. */
  readonly tls?: { readonly authenticator: ChaincodeAuthenticator; readonly rootCertPem: string };
  /** Runs a handler over a stream the peer opened (to a chaincode server, or a runtime's pipe). */
  readonly serve: (stream: ChaincodeStream) => void;
  readonly logger: Logger;
  readonly metrics?: LaunchMetrics | undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function codeOf(err: unknown): ChaincodeErrorCode {
  return err instanceof ChaincodeError ? err.code : 'LAUNCH_FAILED';
}

export class Launcher {
  private readonly instances = new Map<string, ChaincodeInstance>();
  private readonly pending = new Map<string, { state: LaunchState; timer: NodeJS.Timeout }>();
  private stopping = false;

  constructor(private readonly options: LauncherOptions) {}

  /**
   * Fabric's ChaincodeSupport.Launch: the READY handler of `chaincodeId`, launching it unless it is
   * registered. Throws a ChaincodeError `could not launch chaincode <id>: ...`.
   */
  async launch(chaincodeId: string): Promise<Handler> {
    const { registry } = this.options;
    const existing = registry.handler(chaincodeId);
    if (existing !== undefined) return existing;
    if (this.stopping) {
      throw new ChaincodeError(
        'LAUNCH_FAILED',
        `could not launch chaincode ${chaincodeId}: the peer is stopping`,
      );
    }
    const { state, started } = registry.launching(chaincodeId);
    if (!started) this.begin(chaincodeId, state);
    try {
      await state.done;
    } catch (err) {
      throw new ChaincodeError(
        codeOf(err),
        `could not launch chaincode ${chaincodeId}: ${messageOf(err)}`,
        {
          cause: err,
          details: { chaincodeId },
        },
      );
    }
    const handler = registry.handler(chaincodeId);
    if (handler === undefined) {
      throw new ChaincodeError(
        'LAUNCH_FAILED',
        `claimed to start chaincode container for ${chaincodeId} but could not find handler`,
      );
    }
    return handler;
  }

  private begin(chaincodeId: string, state: LaunchState): void {
    const { registry, metrics, logger } = this.options;
    const started = performance.now();
    const fail = (err: Error): void => {
      if (!state.settled) registry.abandon(chaincodeId, state, err);
    };
    const timer = setTimeout(() => {
      if (state.settled) return;
      metrics?.launchTimeouts.add(1, { chaincode: chaincodeId });
      fail(
        new ChaincodeError(
          'STARTUP_TIMEOUT',
          `timeout expired while starting chaincode ${chaincodeId} for transaction`,
        ),
      );
    }, this.options.startupTimeoutMs);
    this.pending.set(chaincodeId, { state, timer });
    const settle = (success: boolean): void => {
      clearTimeout(timer);
      if (this.pending.get(chaincodeId)?.state === state) this.pending.delete(chaincodeId);
      metrics?.launchDuration.observe((performance.now() - started) / 1000, {
        chaincode: chaincodeId,
        success: String(success),
      });
    };
    state.done.then(
      () => settle(true),
      (err: unknown) => {
        settle(false);
        logger.warn('chaincode launch failed', { chaincode: chaincodeId, error: messageOf(err) });
        this.stopInstance(chaincodeId);
      },
    );
    if (this.options.devMode) {
      logger.info('dev mode: waiting for the chaincode to register', { chaincode: chaincodeId });
      return;
    }
    void this.start(chaincodeId, state, fail);
  }

  private async start(
    chaincodeId: string,
    state: LaunchState,
    fail: (err: Error) => void,
  ): Promise<void> {
    const { metrics } = this.options;
    const failed = (err: unknown, prefix: string): void => {
      metrics?.launchFailures.add(1, { chaincode: chaincodeId });
      const e =
        err instanceof ChaincodeError
          ? err
          : new ChaincodeError('LAUNCH_FAILED', `${prefix}${messageOf(err)}`, { cause: err });
      fail(e);
    };
    let instance: ChaincodeInstance;
    try {
      instance = await this.options.router.build(chaincodeId);
    } catch (err) {
      failed(err, 'error building chaincode: ');
      return;
    }
    if (state.settled) {
      // Timed out (or stopped) while building.
      void instance.stop().catch(() => undefined);
      return;
    }
    this.instances.set(chaincodeId, instance);
    // Watched once started, as Fabric's launcher waits after Start: a runtime may only know what
    // to wait for (a container, a process) once it has started it.
    const watch = () =>
      instance.wait().then(
        (code) => this.exited(chaincodeId, instance, state, `container exited with ${code}`),
        (err: unknown) =>
          this.exited(
            chaincodeId,
            instance,
            state,
            `failed to wait on container exit: ${messageOf(err)}`,
          ),
      );
    try {
      const server = await instance.chaincodeServerInfo();
      if (state.settled) return;
      if (server !== undefined) {
        const stream = await connectChaincodeServer(chaincodeId, server);
        if (state.settled) {
          stream.close();
          return;
        }
        this.options.serve(stream);
      } else {
        await instance.start(await this.peerConnection(chaincodeId));
      }
      void watch();
    } catch (err) {
      failed(err, 'error starting container: ');
    }
  }

  /**
   * Fabric's ChaincodeClientInfo: where to connect and, with TLS, a client certificate bound to
   * the id; and, for a runtime that can give the chaincode a private pipe, the handler's end of it.
   */
  private async peerConnection(chaincodeId: string): Promise<PeerConnection> {
    const serveMessagePipe = (pipe: ChaincodeMessagePipe): void =>
      this.options.serve(messagePipeChaincodeStream(pipe, chaincodeId));
    const tls = this.options.tls;
    if (tls === undefined) return { address: this.options.peerAddress, serveMessagePipe };
    const pair = await tls.authenticator.generate(chaincodeId);
    return {
      address: this.options.peerAddress,
      tls: { clientCert: pair.certPem, clientKey: pair.keyPem, rootCert: tls.rootCertPem },
      serveMessagePipe,
    };
  }

  /** The chaincode process ended: its handler goes, its transactions fail, the next call relaunches. */
  private exited(
    chaincodeId: string,
    instance: ChaincodeInstance,
    state: LaunchState,
    why: string,
  ): void {
    if (this.instances.get(chaincodeId) !== instance) return;
    this.instances.delete(chaincodeId);
    if (!this.stopping)
      this.options.logger.info('chaincode exited', { chaincode: chaincodeId, reason: why });
    if (!state.settled) {
      this.options.registry.abandon(chaincodeId, state, new ChaincodeError('LAUNCH_FAILED', why));
      return;
    }
    this.options.registry.handler(chaincodeId)?.close(new ChaincodeError('STREAM_TERMINATED', why));
  }

  /** The handler of `chaincodeId` is gone: stop its instance so that a relaunch starts afresh. */
  handlerGone(chaincodeId: string): void {
    this.stopInstance(chaincodeId);
  }

  private stopInstance(chaincodeId: string): void {
    const instance = this.instances.get(chaincodeId);
    if (instance === undefined) return;
    this.instances.delete(chaincodeId);
    instance.stop().catch((err: unknown) =>
      this.options.logger.warn('failed to stop chaincode', {
        chaincode: chaincodeId,
        error: messageOf(err),
      }),
    );
  }

  /** Stops every chaincode (peer shutdown). */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const [id, p] of [...this.pending]) {
      clearTimeout(p.timer);
      this.options.registry.abandon(
        id,
        p.state,
        new ChaincodeError('LAUNCH_FAILED', 'the peer is stopping'),
      );
    }
    const instances = [...this.instances.values()];
    this.instances.clear();
    const results = await Promise.allSettled(instances.map((i) => i.stop()));
    for (const r of results) {
      if (r.status === 'rejected') {
        this.options.logger.warn('failed to stop chaincode', { error: messageOf(r.reason) });
      }
    }
  }
}
