/**
 * Micro-benchmark of the handler's hot path: one TRANSACTION with a GET_STATE and a PUT_STATE
 * round trip against a real fabric-shim chaincode (child process) over real gRPC, at concurrency 64.
 * Reports transactions/s and this process's CPU per transaction (process.cpuUsage: handler, gRPC,
 * protobuf and the ledger simulator; proposals are signed before the clock starts).
 *
 * Run: node packages/chaincode/dist/test-support/bench-handler.js [transactions] [concurrency]
 */
import { buildProposal } from '@fabric-peer/channel/test-support';
import { TestPeer } from './harness.js';
import { testPackage } from './process-vm.js';

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 10_000);
  const concurrency = Number(process.argv[3] ?? 64);
  const peer = await TestPeer.start();
  try {
    peer.installed.add(testPackage('bench:1', 'test-shim', { script: 'kv/index.js' }));
    peer.definitions.define('bench', 'bench:1');
    const ledger = peer.tc.channels.get('mychannel')!.ledger;
    const argsOf = (i: number): string[] => ['getput', `k${i % 1000}`, `v${i}`];
    const proposals = await Promise.all(
      Array.from({ length: total + 500 }, (_, i) =>
        buildProposal({
          signer: peer.net.identities.user,
          channelId: 'mychannel',
          chaincode: 'bench',
          args: argsOf(i),
        }).then((built) => ({ ...built, args: argsOf(i).map((a) => Buffer.from(a)) })),
      ),
    );
    const run = async (from: number, to: number): Promise<void> => {
      let next = from;
      const worker = async (): Promise<void> => {
        while (next < to) {
          const p = proposals[next++]!;
          const sim = await ledger.newTxSimulator(p.txId);
          try {
            const res = await peer.support.execute(
              {
                txId: p.txId,
                channelId: 'mychannel',
                namespaceId: 'bench',
                signedProposal: p.signed,
                proposal: p.proposal,
                txSimulator: sim,
              },
              'bench',
              { args: p.args },
            );
            if (res.response.status !== 200) throw new Error(res.response.message);
          } finally {
            sim.done();
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    };
    await run(0, 500); // launch and warm up
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await run(500, 500 + total);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    process.stdout.write(
      `${JSON.stringify({
        transactions: total,
        concurrency,
        txPerSecond: Math.round((total / ms) * 1000),
        peerCpuMsPerTx: Number((cpuMs / total).toFixed(3)),
        wallMs: Math.round(ms),
      })}\n`,
    );
  } finally {
    await peer.close();
  }
}

await main();
