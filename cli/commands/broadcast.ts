import { setTimeout as sleep } from 'node:timers/promises';
import type { Broadcast } from '../api-types.ts';
import { defineCommand } from '../command.ts';
import { CliError, ExitCode, usageError } from '../exit-codes.ts';
import { duration } from '../options.ts';
import { formatDate, print, renderFields } from '../output.ts';
import { loggedInClient, segment } from '../session.ts';

interface Args {
  text: string;
  maintenance?: boolean;
  wait?: boolean;
  timeout: number;
}

const POLL_INTERVAL_MS = 1_000;

function summary(broadcast: Broadcast): string {
  return renderFields([
    ['Broadcast ID', broadcast.broadcastId],
    ['Kind', broadcast.kind],
    ['Status', broadcast.status],
    ['Recipients', broadcast.recipients],
    ['Created', formatDate(broadcast.createdAt)],
    ['Finished', formatDate(broadcast.finishedAt)],
    ['Text', broadcast.text],
  ]);
}

export const broadcast = defineCommand<Args>({
  command: 'broadcast <text>',
  describe: 'Send an announcement (or maintenance notice) to every user',
  examples: [
    ['imctl broadcast "New stickers are out!"', 'send an announcement'],
    [
      'imctl broadcast "Maintenance at 02:00 UTC, about 10 minutes" --maintenance --wait',
      'notice, wait until sent',
    ],
  ],
  builder: (yargs) =>
    yargs
      .positional('text', { type: 'string', describe: 'The text users see' })
      .option('maintenance', {
        type: 'boolean',
        describe: 'Send as a maintenance notice instead of an announcement',
      })
      .option('wait', {
        alias: 'w',
        type: 'boolean',
        describe: 'Wait until every recipient was sent it, showing progress',
      })
      .option('timeout', {
        type: 'string',
        default: '10m',
        describe: 'With --wait: give up waiting after this long',
        coerce: duration('timeout'),
      }),
  async run(args) {
    const text = String(args.text ?? '').trim();
    if (!text) throw usageError('the broadcast text must not be empty');
    const client = loggedInClient(args);
    let current = await client.post<Broadcast>('/broadcasts', {
      text,
      kind: args.maintenance ? 'maintenance' : 'announcement',
    });
    if (args.wait) {
      const deadline = Date.now() + args.timeout;
      const progress = (b: Broadcast) =>
        `broadcast ${b.broadcastId}: ${b.status ?? '?'}, ${b.recipients ?? 0} recipients`;
      const live = process.stderr.isTTY;
      let last = '';
      while (current.status !== 'done') {
        const line = progress(current);
        // A terminal gets one line rewritten in place; a log gets a line per change.
        if (live) process.stderr.write(`\r\x1b[K${line}`);
        else if (line !== last) process.stderr.write(`${line}\n`);
        last = line;
        if (Date.now() >= deadline) {
          if (live) process.stderr.write('\n');
          throw new CliError(
            ExitCode.failure,
            `broadcast ${current.broadcastId} still ${current.status ?? 'sending'} when --timeout ran out: the server goes on sending; pass a longer --timeout to keep watching`,
          );
        }
        await sleep(POLL_INTERVAL_MS);
        current = {
          ...current,
          ...(await client.get<Broadcast>(`/broadcasts/${segment(current.broadcastId)}`)),
        };
      }
      if (live && last) process.stderr.write('\r\x1b[K');
    }
    print(args.output, current, summary);
    return ExitCode.ok;
  },
});
