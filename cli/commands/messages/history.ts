import type { MessageItem } from '../../api-types.ts';
import { defineCommand } from '../../command.ts';
import { ExitCode } from '../../exit-codes.ts';
import { integer, requireId } from '../../options.ts';
import { cell, formatDate, print, renderTable } from '../../output.ts';
import { loggedInClient } from '../../session.ts';

interface Args {
  sessionId: string;
  beforeSeq?: number;
  limit?: number;
}

/** Text messages show their text; other kinds their JSON content. */
function preview(content: unknown): string {
  if (content && typeof content === 'object' && 'text' in content)
    return cell((content as { text: unknown }).text);
  return cell(content);
}

export const messageHistory = defineCommand<Args>({
  command: 'history <sessionId>',
  describe: 'Read the messages of a conversation, newest last',
  examples: [
    ['imctl messages history s_1850000000000000001_1850000000000000002 --limit 20', 'the last 20 messages'],
    ['imctl messages history g_1860000000000000001 --before-seq 120', 'messages before seq 120'],
  ],
  builder: (yargs) =>
    yargs
      .positional('sessionId', { type: 'string', describe: 'The conversation (session) ID' })
      .option('before-seq', {
        type: 'string',
        describe: 'Only messages with a lower seq',
        coerce: integer('before-seq'),
      })
      .option('limit', {
        alias: 'l',
        type: 'string',
        describe: 'How many (1-100)',
        coerce: integer('limit', 1, 100),
      }),
  async run(args) {
    const sessionId = requireId(args.sessionId, 'sessionId');
    const answer = await loggedInClient(args).get<{ messages: MessageItem[] }>('/messages', {
      sessionId,
      beforeSeq: args.beforeSeq,
      limit: args.limit,
    });
    print(args.output, answer, ({ messages }) =>
      renderTable(
        [...(messages ?? [])].sort((a, b) => Number(a.seq ?? 0) - Number(b.seq ?? 0)),
        [
          { header: 'Seq', value: (m) => m.seq },
          { header: 'Message ID', value: (m) => m.messageId },
          { header: 'Sender', value: (m) => m.senderId },
          { header: 'Type', value: (m) => m.contentType },
          { header: 'Sent', value: (m) => formatDate(m.createdAt) },
          { header: 'Content', value: (m) => (m.recalled ? '(recalled)' : preview(m.content)), maxWidth: 60 },
        ],
      ),
    );
    return ExitCode.ok;
  },
});
