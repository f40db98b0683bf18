/**
 * Faults under load (issue 15, DESIGN §6): steady one-to-one load in which every acknowledged message
 * is checked (checked-pair.ts), while parts of the platform are killed and brought back one after
 * the other. At the end: 0 lost, 0 duplicated, per-conversation order kept, and how long each fault
 * took to recover from. Prints a JSON report and a one-line summary; exits 1 when the promise broke.
 *
 *   scripts/node24 node test/faults/run.ts --shape embedded --pairs 50 --rate 100
 *   scripts/node24 node test/faults/run.ts --shape cluster --pairs 50 --rate 30 --faults gateway,message,postgres,broker
 *
 * embedded: the platform in its own process on a fresh database of the machine's PostgreSQL
 * (TEST_POSTGRES_URL), SIGKILLed and started again (`kill-platform`). cluster: every service behind
 * its own daprd with two gateways, on a PostgreSQL and a NATS JetStream this run starts for itself
 * (initdb / pg_ctl, nats-server on free ports), so that restarting them disturbs no one.
 */
import { parseArgs } from 'node:util';
import { CheckedLoad, summary } from './checked-load.ts';
import type { Shape } from './shapes.ts';

const { values } = parseArgs({
  options: {
    shape: { type: 'string', default: 'embedded' },
    faults: { type: 'string' },
    pairs: { type: 'string', default: '50' },
    rate: { type: 'string', default: '100' },
    /** Seconds of load before the first fault and after each recovery. */
    steady: { type: 'string', default: '10' },
    /** How many times the list of faults is gone through. */
    rounds: { type: 'string', default: '1' },
  },
});

async function startShape(name: string): Promise<Shape> {
  const shapes = await import('./shapes.ts');
  if (name === 'cluster') return shapes.clusterShape();
  if (name !== 'embedded') throw new Error('--shape takes embedded or cluster');
  const { createBackend } = await import('../support/backends.ts');
  const backend = await createBackend('postgresql');
  const shape = await shapes.embeddedShape(backend.env.DATABASE_URL!);
  return {
    ...shape,
    async stop() {
      await shape.stop();
      await backend.dispose();
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const shape = await startShape(values.shape!);
  let failed = true;
  try {
    const names = (values.faults ?? Object.keys(shape.faults).join(',')).split(',');
    for (const name of names)
      if (!shape.faults[name])
        throw new Error(`no fault ${name} in this shape (${Object.keys(shape.faults).join(', ')})`);
    const load = await CheckedLoad.setUp({
      apiUrl: shape.apiUrl,
      gatewayUrl: (socket) => shape.gatewayUrl(socket),
      pairs: Number(values.pairs),
      rate: Number(values.rate),
    });
    const steadyMs = Number(values.steady) * 1000;
    load.start();
    await sleep(steadyMs);
    for (let round = 0; round < Number(values.rounds); round++)
      for (const name of names) {
        const fault = shape.faults[name]!;
        console.error(`[faults] ${new Date().toISOString()} ${fault.name}`);
        const recovery = await load.fault(name, () => fault.inject());
        console.error(
          `[faults] ${name}: back after ${recovery.restartS} s, recovered after ${recovery.recoverS} s`,
        );
        await sleep(steadyMs);
      }
    const report = await load.finish();
    console.log(JSON.stringify({ shape: values.shape, ...report }, null, 2));
    console.log(summary(report));
    failed = !report.ok;
    if (failed) console.error(shape.diagnostics());
  } finally {
    await shape.stop();
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
