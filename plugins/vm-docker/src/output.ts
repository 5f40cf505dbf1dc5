/**
 * `vm.docker.attachStdout`: a chaincode container's stdout and stderr, line by line, into the
 * peer's log (Fabric's streamOutput), from an attach made before the container starts.
 */
import type { Readable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import type Docker from 'dockerode';
import type { Logger } from '@fabric-peer/api';

/** Copies the container's output into `containerLog`; resolves once the attach is in place. */
export async function attachOutput(
  docker: Docker,
  container: Docker.Container,
  containerLog: Logger,
  log: Logger,
): Promise<void> {
  const stream = (await container.attach({
    stream: true,
    stdout: true,
    stderr: true,
    logs: true,
  })) as unknown as Readable;
  const out = new PassThrough();
  const err = new PassThrough();
  docker.modem.demuxStream(stream, out, err);
  for (const [name, pipe] of [
    ['stdout', out],
    ['stderr', err],
  ] as const) {
    createInterface({ input: pipe, crlfDelay: Infinity }).on('line', (line) => {
      containerLog.info(line, { stream: name });
    });
  }
  stream.on('end', () => {
    out.end();
    err.end();
    log.info(`Container ${container.id} has closed its IO channel`);
  });
  stream.on('error', (e: Error) => {
    out.end();
    err.end();
    log.error('Error reading container output', { container: container.id, error: e.message });
  });
}
