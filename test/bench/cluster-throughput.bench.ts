/**
 * Throughput of the cluster shape on real sidecars (issue 15: ≥ 500 msg/s at p99 ≤ 200 ms, CPU per
 * message per process): every service its own Node process behind its own daprd, two gateways, NATS
 * JetStream and PostgreSQL of the run's own (test/faults/shapes.ts), the checked one-to-one load of
 * the fault runs (every acknowledged message checked) at each offered rate in turn. For each rate:
 * delivered msg/s, latency from send to the receiver's NEW_MESSAGE, and the CPU each process spent
 * over the sending window and its drain (/proc/<pid>/stat), less what it spends idle (measured
 * for 10 s before the first rate), per delivered message.
 *
 *   scripts/node24 node test/bench/cluster-throughput.bench.ts --rates 50,100,200 --pairs 50 --duration 20
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CheckedLoad } from '../faults/checked-load.ts';
import { clusterShape } from '../faults/shapes.ts';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '50,100,200' },
    pairs: { type: 'string', default: '50' },
    duration: { type: 'string', default: '20' },
  },
});

const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command.
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

const shape = await clusterShape();
try {
  const processes = shape.processes();
  const sample = () => {
    const byName = new Map(
      processes.map((p) => [p.name, p.pids().reduce((sum, pid) => sum + cpuSeconds(pid), 0)]),
    );
    const own = process.cpuUsage();
    byName.set('load generator + ingress', (own.user + own.system) / 1e6);
    return byName;
  };
  // What the processes spend with no messages (heartbeats, outbox sweeps, sidecars' polling), per
  // second: subtracted from each rate's figures so that low rates do not carry it per message.
  const idleS = 10;
  const idleBefore = sample();
  await new Promise((resolve) => setTimeout(resolve, idleS * 1000));
  const idleAfter = sample();
  const idlePerSecond = new Map(
    [...idleAfter].map(([name, cpu]) => [name, (cpu - idleBefore.get(name)!) / idleS]),
  );
  console.log(
    JSON.stringify({
      idleCpuMsPerSecond: Object.fromEntries(
        [...idlePerSecond].map(([name, cpu]) => [name, Number((cpu * 1000).toFixed(1))]),
      ),
    }),
  );
  for (const rate of values.rates!.split(',').map(Number)) {
    const load = await CheckedLoad.setUp({
      apiUrl: shape.apiUrl,
      gatewayUrl: (socket) => shape.gatewayUrl(socket),
      pairs: Number(values.pairs),
      rate,
    });
    const before = sample();
    const startedAt = performance.now();
    load.start();
    await new Promise((resolve) => setTimeout(resolve, Number(values.duration) * 1000));
    const report = await load.finish();
    const seconds = (performance.now() - startedAt) / 1000;
    const after = sample();
    const delivered = report.counts.delivered;
    const cpuMsPerMessage = Object.fromEntries(
      [...after].map(([name, cpu]) => {
        const spent = cpu - (before.get(name) ?? 0) - (idlePerSecond.get(name) ?? 0) * seconds;
        return [name, Number(((spent * 1000) / delivered).toFixed(2))];
      }),
    );
    const totalCpuMs = Object.values(cpuMsPerMessage).reduce((sum, ms) => sum + ms, 0);
    console.log(
      JSON.stringify({
        rate,
        pairs: report.pairs,
        loadavg: readFileSync('/proc/loadavg', 'utf8').trim(),
        generated: report.counts.generated,
        acked: report.counts.acked,
        delivered,
        lost: report.counts.lost,
        duplicated: report.counts.duplicated,
        outOfOrder: report.counts.outOfOrder,
        messagesPerSecond: Number((delivered / seconds).toFixed(1)),
        latencyMs: report.latencyMs,
        cpuMsPerMessage,
        totalCpuMsPerMessage: Number(totalCpuMs.toFixed(2)),
      }),
    );
  }
} finally {
  await shape.stop();
}
