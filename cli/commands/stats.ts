import { setTimeout as sleep } from 'node:timers/promises';
import type { Stats } from '../api-types.ts';
import { defineCommand } from '../command.ts';
import { formatAge } from '../duration.ts';
import { ExitCode, usageError } from '../exit-codes.ts';
import { duration } from '../options.ts';
import { renderFields, renderTable } from '../output.ts';
import { loggedInClient } from '../session.ts';

interface Args {
  watch?: boolean;
  interval: number;
  period?: number;
}

/** Per provider, pushes sent and failed in the last hour, with the success rate. */
function pushLine(push: Stats['push']): string {
  if (push === null) return 'push service not answering';
  const providers = push?.providers ?? [];
  if (providers.length === 0) return 'none';
  return providers
    .map(({ provider, success = 0, failed = 0 }) => {
      const rate = success + failed > 0 ? ` (${((100 * success) / (success + failed)).toFixed(1)}%)` : '';
      return `${provider} ${success} sent, ${failed} failed${rate}`;
    })
    .join('; ');
}

/** Files held, their size, and what the store holds once identical content is counted once. */
function filesLine(files: Stats['files']): string {
  if (files === null) return 'file service not answering';
  const mib = (bytes = 0) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  return `${files?.files ?? '-'} files, ${mib(files?.bytes)} (${mib(files?.storedBytes)} stored)`;
}

/** A period in minutes as people say it: 90m, 24h, 7d. */
function periodLabel(minutes = 0): string {
  if (minutes % 1440 === 0) return `${minutes / 1440}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}

/** Calls started, answered and missed, and meeting minutes, over the period. */
function callsLine(calls: Stats['calls']): string {
  if (calls === null) return 'rtc service not answering';
  return `${calls?.started ?? '-'} started, ${calls?.answered ?? '-'} answered, ${calls?.missed ?? '-'} missed`;
}

function meetingsLine(calls: Stats['calls']): string {
  if (calls === null) return 'rtc service not answering';
  return `${calls?.meetings ?? '-'} held, ${calls?.meetingMinutes ?? '-'} minutes`;
}

function render(stats: Stats): string {
  const { users = {}, connections = {}, messages = {}, groups = {}, push, files, calls } = stats;
  const period = periodLabel(calls?.periodMinutes);
  const overview = renderFields([
    [
      'Users',
      `${users.total ?? '-'} total, ${users.newToday ?? '-'} new today, ${users.active24h ?? '-'} active in 24h`,
    ],
    [
      'Groups',
      `${groups.total ?? '-'} total, ${groups.active ?? '-'} active, ${groups.newToday ?? '-'} new today`,
    ],
    ['Messages', `${messages.total ?? '-'} total, ${messages.lastMinute ?? '-'} in the last minute`],
    ['Connections', connections.total ?? '-'],
    ['Push (1h)', pushLine(push)],
    ['Files', filesLine(files)],
    [`Calls (${period})`, callsLine(calls)],
    [`Meetings (${period})`, meetingsLine(calls)],
  ]);
  const gateways = renderTable(connections.gateways ?? [], [
    { header: 'Gateway', value: (g) => g.instanceId },
    { header: 'Connections', value: (g) => g.connections },
    { header: 'Reported', value: (g) => `${formatAge(g.reportedAt)} ago` },
  ]);
  const types = Object.entries(messages.byContentType ?? {});
  const byType = types.length
    ? `\n\nMessages by type: ${types.map(([type, n]) => `${type} ${n}`).join(', ')}`
    : '';
  return `${overview}\n\n${gateways}${byType}`;
}

export const stats = defineCommand<Args>({
  command: 'stats',
  describe: 'Users, connections, messages, groups and offline pushes right now',
  examples: [
    ['imctl stats', 'one snapshot'],
    ['imctl stats --watch --interval 5s', 'refresh every 5 seconds until Ctrl-C'],
    ['imctl stats --watch -o json | jq .connections.total', 'one JSON document per line, for scripts'],
    ['imctl stats --period 7d', 'calls and meeting minutes of the last 7 days (24h by default)'],
  ],
  builder: (yargs) =>
    yargs
      .option('watch', {
        alias: 'w',
        type: 'boolean',
        describe: 'Keep refreshing until interrupted (Ctrl-C)',
      })
      .option('interval', {
        type: 'string',
        default: '2s',
        describe: 'With --watch: time between refreshes',
        coerce: duration('interval'),
      })
      .option('period', {
        type: 'string',
        describe: 'What calls and meeting minutes are counted over (90m, 24h, 7d; default 24h)',
        coerce: duration('period'),
      }),
  async run(args) {
    if (args.interval < 500) throw usageError('--interval must be at least 500ms');
    if (args.period !== undefined && (args.period < 60_000 || args.period % 60_000 !== 0))
      throw usageError('--period must be whole minutes, at least 1m (90m, 24h, 7d)');
    const query = args.period === undefined ? {} : { period: `${args.period / 60_000}m` };
    const client = loggedInClient(args);
    const json = args.output === 'json';
    if (!args.watch) {
      const snapshot = await client.get<Stats>('/stats', query);
      process.stdout.write(json ? `${JSON.stringify(snapshot, null, 2)}\n` : `${render(snapshot)}\n`);
      return ExitCode.ok;
    }
    // Ctrl-C is how a watch ends: a normal, successful exit.
    const stop = new AbortController();
    const onInterrupt = () => stop.abort();
    process.once('SIGINT', onInterrupt);
    process.once('SIGTERM', onInterrupt);
    const redraw = Boolean(process.stdout.isTTY) && !json;
    let previousLines = 0;
    try {
      while (!stop.signal.aborted) {
        const snapshot = await client.get<Stats>('/stats', query);
        if (stop.signal.aborted) break;
        if (json) {
          process.stdout.write(`${JSON.stringify(snapshot)}\n`);
        } else {
          const frame = `${render(snapshot)}\n\nupdated ${new Date().toISOString()}, every ${args.interval / 1000}s; Ctrl-C to stop\n`;
          // Move up over the previous frame and clear to the end of the screen, then draw.
          if (redraw && previousLines > 0) process.stdout.write(`\x1b[${previousLines}A\x1b[0J`);
          process.stdout.write(redraw ? frame : `${frame}\n`);
          previousLines = frame.split('\n').length - 1;
        }
        await sleep(args.interval, undefined, { signal: stop.signal }).catch(() => {});
      }
    } finally {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onInterrupt);
    }
    return ExitCode.ok;
  },
});
