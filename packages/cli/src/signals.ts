/**
 * SIGINT/SIGTERM for the long-running commands (`start`, `dev up`): caught before anything starts
 * (without a listener Node dies at once on SIGTERM, and a signal during start-up must still stop
 * what has started); a second signal exits at once.
 */
import type { Logger } from '@fabric-peer/api';

export interface StopSignals {
  /** Resolves with the first signal. */
  readonly received: Promise<NodeJS.Signals>;
  /** Aborted by the first signal, for work under way when it comes. */
  readonly abortSignal: AbortSignal;
  /** Removes the handlers. */
  release(): void;
}

export function catchStopSignals(log: Logger): StopSignals {
  const abort = new AbortController();
  let resolveReceived: (signal: NodeJS.Signals) => void = () => undefined;
  const received = new Promise<NodeJS.Signals>((resolve) => (resolveReceived = resolve));
  const onSignal = (s: NodeJS.Signals): void => {
    if (abort.signal.aborted) {
      log.warn('second signal: exiting now', { signal: s });
      process.exit(1);
    }
    abort.abort();
    resolveReceived(s);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    received,
    abortSignal: abort.signal,
    release() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
