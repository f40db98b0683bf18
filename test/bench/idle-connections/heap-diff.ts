/**
 * What the heap gained between two snapshots (idle-connections.bench.ts --snapshot): objects
 * grouped by kind and constructor, the largest growth first, per connection when given their count.
 *
 *   scripts/node24 node test/bench/idle-connections/heap-diff.ts /tmp/idle-0.heapsnapshot /tmp/idle-1000.heapsnapshot 1000
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Count and self size of the objects of each `kind:name`. */
function tally(path: string): Map<string, { count: number; bytes: number }> {
  const data = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = data.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = data.snapshot.meta.node_types[0];
  const groups = new Map<string, { count: number; bytes: number }>();
  for (let at = 0; at < data.nodes.length; at += width) {
    const kind = types[data.nodes[at + typeAt]!]!;
    // Strings and code are grouped by kind only; their "names" are their contents.
    const name = kind === 'object' || kind === 'closure' ? data.strings[data.nodes[at + nameAt]!]! : '';
    const key = `${kind}:${name}`;
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += data.nodes[at + sizeAt]!;
    groups.set(key, group);
  }
  return groups;
}

const [beforePath, afterPath, connectionsText = '1'] = process.argv.slice(2);
if (!beforePath || !afterPath) throw new Error('usage: heap-diff.ts BEFORE AFTER [CONNECTIONS]');
const connections = Number(connectionsText);
const before = tally(beforePath);
const after = tally(afterPath);
const rows = [...after]
  .map(([key, { count, bytes }]) => {
    const was = before.get(key) ?? { count: 0, bytes: 0 };
    return { key, count: (count - was.count) / connections, bytes: (bytes - was.bytes) / connections };
  })
  .filter((row) => Math.abs(row.bytes) >= 8)
  .sort((a, b) => b.bytes - a.bytes);
const total = rows.reduce((sum, row) => sum + row.bytes, 0);
console.log(`heap growth per connection: ${total.toFixed(0)} bytes`);
for (const row of rows.slice(0, 40))
  console.log(`${row.bytes.toFixed(0).padStart(7)} B  ${row.count.toFixed(2).padStart(6)} ×  ${row.key}`);
