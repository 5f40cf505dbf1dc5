/**
 * Cold start of a chaincode container: from `start()` to the chaincode's REGISTER at the peer,
 * with the image built already (Fabric's "launch" minus the build). Runs the fabric-shim and the
 * fabric-contract-api chaincode of the test support against the local engine and prints the
 * median, minimum and maximum of each. Not a test: `node dist/bench/cold-start.js [runs]`.
 */
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { freePort, silentLoggers } from '@fabric-peer/testkit';
import { DockerVmProvider } from '../src/index.js';
import {
  contractChaincode,
  dockerTestConfig,
  ensureNodeBaseImage,
  makeChaincodePackage,
  shimChaincode,
  startChaincodeSupportDouble,
} from '../test-support/index.js';

const runs = Number(process.argv[2] ?? 7);
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const networkId = `vmdbench${randomBytes(3).toString('hex')}`;
const out = (line: string) => process.stdout.write(`${line}\n`);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const base = await ensureNodeBaseImage(docker);
const provider = DockerVmProvider.create({
  config: dockerTestConfig({ 'chaincode.node.runtime': base.tag, 'peer.networkId': networkId }),
  loggers: silentLoggers,
});
const server = await startChaincodeSupportDouble(await freePort());
const images: string[] = [];
try {
  out(`node ${process.version}, docker ${(await docker.version()).Version}, ${runs} runs each`);
  for (const spec of [shimChaincode('bench-shim'), contractChaincode('bench-contract')]) {
    const pkg = await makeChaincodePackage(spec);
    let t = performance.now();
    const inst = await provider.build(pkg.packageId, pkg);
    images.push(inst.image);
    out(`${spec.label}: image build ${Math.round(performance.now() - t)} ms`);
    const toRegister: number[] = [];
    const startCall: number[] = [];
    for (let i = 0; i < runs; i++) {
      const registered = server.nextRegistration(pkg.packageId);
      t = performance.now();
      await inst.start({ address: server.address });
      startCall.push(performance.now() - t);
      toRegister.push((await registered).at - t);
      await inst.stop();
    }
    const fmt = (xs: number[]) =>
      `median ${Math.round(median(xs))} ms (min ${Math.round(Math.min(...xs))}, max ${Math.round(Math.max(...xs))})`;
    out(`${spec.label}: start() returns ${fmt(startCall)}`);
    out(`${spec.label}: start() → REGISTER ${fmt(toRegister)}`);
  }
} finally {
  await server.stop();
  for (const image of images) await docker.getImage(image).remove({ force: true });
}
