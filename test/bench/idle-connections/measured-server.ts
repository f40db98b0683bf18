/**
 * The platform (services/main.ts) under measurement, started by idle-connections.bench.ts with
 * --expose-gc and an IPC channel. On `{ measure: true }` it collects garbage (twice, so that weak
 * callbacks and finalizers run) and answers its memory; on `{ snapshot: path }` it writes a heap
 * snapshot there. Nothing of this is in the platform itself.
 */
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

type Command = { id: number; measure?: true; snapshot?: string };

const collect = globalThis.gc;
if (!collect || !process.send) throw new Error('start with --expose-gc and an IPC channel (fork)');

process.on('message', async (command: Command) => {
  if (command.snapshot) {
    collect();
    writeHeapSnapshot(command.snapshot);
    process.send!({ id: command.id, snapshot: command.snapshot });
    return;
  }
  for (let pass = 0; pass < 2; pass++) {
    collect();
    await new Promise((resolve) => setImmediate(resolve));
  }
  // Pages each heap space has in memory: tells V8's sizing apart from what the process mallocs.
  const spaces = Object.fromEntries(
    getHeapSpaceStatistics().map((space) => [space.space_name, space.physical_space_size]),
  );
  process.send!({ id: command.id, memory: process.memoryUsage(), spaces });
});

await import('../../../services/main.ts');
