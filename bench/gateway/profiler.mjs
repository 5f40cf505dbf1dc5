// Preloaded into one peer process by `run.mjs --profile` (NODE_OPTIONS=--import=<this file>, set
// for that spawn alone; Node 20 refuses --cpu-prof in NODE_OPTIONS). The first SIGUSR2 starts
// V8's sampling profiler (1 ms interval, as --cpu-prof), the second stops it and writes the
// profile to $BENCH_PROFILE_FILE, so the profile covers the measured runs and not the start-up.
// The in-thread inspector session opens no port.
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const out = process.env.BENCH_PROFILE_FILE;
if (out !== undefined) {
  const session = new Session();
  session.connect();
  let running = false;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 1000 }, () =>
          session.post('Profiler.start'),
        ),
      );
      return;
    }
    running = false;
    session.post('Profiler.stop', (err, result) => {
      writeFileSync(`${out}.tmp`, err ? '' : JSON.stringify(result.profile));
      // The coordinator waits for the final name: the file is complete when it appears.
      renameSync(`${out}.tmp`, out);
    });
  });
}
