import type { AuditItem } from '../api-types.ts';
import { itemsOf } from '../api-types.ts';
import { defineCommand } from '../command.ts';
import { parseSince } from '../duration.ts';
import { ExitCode } from '../exit-codes.ts';
import { integer } from '../options.ts';
import { cell, formatDate, print, renderTable } from '../output.ts';
import { loggedInClient } from '../session.ts';

interface Args {
  since?: string;
  actor?: string;
  action?: string;
  userId?: string;
  limit?: number;
}

export const audit = defineCommand<Args>({
  command: 'audit',
  describe: 'Read the audit log: who did what, when, from where',
  examples: [
    ['imctl audit --since 1h', 'everything in the last hour'],
    ['imctl audit --actor alice --action user.ban --since 2026-01-01', 'bans by admin alice this year'],
    ['imctl audit --user-id 1850000000000000001 --limit 20', 'the last 20 entries about one user'],
  ],
  builder: (yargs) =>
    yargs
      .option('since', {
        type: 'string',
        describe: 'Entries after this: a duration back (1h, 7d) or an ISO date',
        coerce: (value: unknown) => (value === undefined ? undefined : parseSince(String(value))),
      })
      .option('actor', { type: 'string', describe: 'Only entries by this admin (username)' })
      .option('action', { type: 'string', describe: 'Only this action, e.g. user.ban' })
      .option('user-id', { type: 'string', describe: 'Only entries about this user' })
      .option('limit', {
        alias: 'l',
        type: 'string',
        describe: 'At most this many (1-1000)',
        coerce: integer('limit', 1, 1000),
      }),
  async run(args) {
    const answer = await loggedInClient(args).get<{ items: AuditItem[] }>('/audit', {
      since: args.since,
      actor: args.actor,
      action: args.action,
      userId: args.userId,
      limit: args.limit,
    });
    print(args.output, answer, (a) =>
      renderTable(itemsOf(a), [
        { header: 'Time', value: (e) => formatDate(e.createdAt) },
        { header: 'Actor', value: (e) => `${e.actorType ?? '?'}:${e.actorName ?? e.actorId ?? '-'}` },
        { header: 'Action', value: (e) => e.action },
        {
          header: 'Resource',
          value: (e) => (e.resourceType ? `${e.resourceType}/${e.resourceId ?? ''}` : undefined),
        },
        { header: 'IP', value: (e) => e.ip },
        { header: 'Details', value: (e) => cell(e.details), maxWidth: 50 },
      ]),
    );
    return ExitCode.ok;
  },
});
