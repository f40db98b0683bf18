import { z } from 'zod';
import type { RequestState } from '../platform/http/context.ts';
import { defineRoute } from '../platform/http/routes.ts';
import { rateLimit } from '../platform/security/index.ts';
import { schemas } from '../platform/validation.ts';
import type { MessageEdits } from './domain/edits.ts';
import type { MessagePins } from './domain/pins.ts';
import type { MessageReactions } from './domain/reactions.ts';
import type { MessageThreads } from './domain/threads.ts';
import { clientMsgId, MessageDto, MessageIdParams, SendAckDto, sessionId } from './schemas.ts';

const tags = ['message'];

/** One emoji as Unicode lists them (skin tones, flags, keycaps and ZWJ sequences included). */
const ONE_EMOJI = /^\p{RGI_Emoji}$/v;
const emoji = z
  .string()
  .min(1)
  .max(64)
  .refine((value) => ONE_EMOJI.test(value), 'must be one emoji')
  .describe('one emoji, e.g. 👍 or 👍🏽');

const EditBody = z.object({
  // The content rules bound the length; here only what no text may hold (NUL, broken Unicode).
  text: schemas.body(20_000).describe('the new text (of a text message, or a quote)'),
});
const EditDto = z.object({
  messageId: z.string(),
  version: z.number().int().describe('edits so far'),
  content: z.unknown().describe('the content now'),
  editedAt: z.number().int(),
});
const VersionsDto = z.object({
  messageId: z.string(),
  contentType: z.string(),
  versions: z
    .array(z.object({ version: z.number().int(), content: z.unknown(), at: z.number().int() }))
    .describe('oldest first: version 0 as sent, the last the current content'),
});
const ReactionBody = z.object({ emoji });
const ReactionQuery = z.object({ emoji });
const ReactionDto = z.object({
  messageId: z.string(),
  emoji: z.string(),
  count: z.number().int().describe('users with this emoji on the message now'),
  changed: z.boolean().describe('false: it already was so'),
});
const ReactionsDto = z.object({
  messageId: z.string(),
  reactions: z.array(
    z.object({
      emoji: z.string(),
      count: z.number().int(),
      userIds: z.array(z.string()).describe('who, first reactions first (at most 100)'),
      reactedByMe: z.boolean(),
    }),
  ),
});
const PinDto = z.object({
  messageId: z.string(),
  sessionId: z.string(),
  pinned: z.boolean(),
  changed: z.boolean().describe('false: it already was so'),
});
const SessionQuery = z.object({ sessionId });
const PinsDto = z.object({
  pins: z.array(z.object({ message: MessageDto, pinnedBy: z.string(), pinnedAt: z.number().int() })),
});
const ReplyBody = z.object({
  clientMsgId,
  // Checked against the content types by the domain, which answers 50112 for an unknown one.
  contentType: schemas.text(20).min(1),
  content: z.unknown(),
  mentions: z.array(schemas.id).max(200).optional().describe('group messages: members to mention'),
});
const ReplyDto = SendAckDto.extend({ rootMessageId: z.string() });
const RepliesQuery = z.object({
  afterSeq: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
const ThreadCounts = {
  rootMessageId: z.string(),
  replyCount: z.number().int(),
  unreadCount: z.number().int().describe('replies of others after my read position in the thread'),
};
const RepliesDto = z.object({ ...ThreadCounts, replies: z.array(MessageDto), hasMore: z.boolean() });
const ThreadsQuery = SessionQuery.extend({ limit: z.coerce.number().int().min(1).max(100).default(50) });
const ThreadsDto = z.object({
  threads: z.array(z.object({ ...ThreadCounts, lastReplyAt: z.number().int() })),
});

export interface Interactions {
  edits: MessageEdits;
  reactions: MessageReactions;
  pins: MessagePins;
  threads: MessageThreads;
}

/** Edits, reactions, pinned messages and threads. */
export function interactionRoutes({ edits, reactions, pins, threads }: Interactions) {
  // Each change is a timeline event for every participant: cheap to ask for, dear to fan out.
  const changes = rateLimit('message-interactions', {
    limit: 120,
    windowMs: 60_000,
    key: (ctx) => `user:${(ctx.state as RequestState).principal?.userId ?? ctx.ip}`,
  });
  return [
    defineRoute({
      method: 'put',
      path: '/api/v1/messages/:id',
      summary:
        'Edit my text or quote message (within the edit window); every participant gets MESSAGE_EDITED',
      tags,
      access: 'user',
      params: MessageIdParams,
      body: EditBody,
      response: EditDto,
      middleware: [changes],
      handler: ({ principal, params, body }) => edits.edit(principal.userId, params.id, body.text),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/messages/:id/edits',
      summary: "A message's versions, as sent and after each edit",
      tags,
      access: 'user',
      params: MessageIdParams,
      response: VersionsDto,
      handler: ({ principal, params }) => edits.versions(principal.userId, params.id),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/messages/:id/reactions',
      summary: 'React to a message with an emoji (MESSAGE_REACTION to every participant)',
      tags,
      access: 'user',
      params: MessageIdParams,
      body: ReactionBody,
      response: ReactionDto,
      middleware: [changes],
      handler: ({ principal, params, body }) =>
        reactions.react(principal.userId, params.id, body.emoji, true),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/messages/:id/reactions',
      summary: 'Take back my emoji reaction',
      tags,
      access: 'user',
      params: MessageIdParams,
      query: ReactionQuery,
      response: ReactionDto,
      middleware: [changes],
      handler: ({ principal, params, query }) =>
        reactions.react(principal.userId, params.id, query.emoji, false),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/messages/:id/reactions',
      summary: "A message's reactions: each emoji with its count and who",
      tags,
      access: 'user',
      params: MessageIdParams,
      response: ReactionsDto,
      handler: ({ principal, params }) => reactions.list(principal.userId, params.id),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/messages/:id/pin',
      summary: 'Pin a message in its conversation (groups: owner and admins)',
      tags,
      access: 'user',
      params: MessageIdParams,
      response: PinDto,
      middleware: [changes],
      handler: ({ principal, params }) => pins.pin(principal.userId, params.id, true),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/messages/:id/pin',
      summary: 'Unpin a message (groups: owner and admins)',
      tags,
      access: 'user',
      params: MessageIdParams,
      response: PinDto,
      middleware: [changes],
      handler: ({ principal, params }) => pins.pin(principal.userId, params.id, false),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/messages/pinned',
      summary: "A conversation's pinned messages, newest pin first",
      tags,
      access: 'user',
      query: SessionQuery,
      response: PinsDto,
      handler: ({ principal, query }) => pins.list(principal.userId, query.sessionId),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/messages/:id/thread',
      summary: "Reply in a message's thread (a message of the conversation; idempotent on clientMsgId)",
      tags,
      access: 'user',
      params: MessageIdParams,
      body: ReplyBody,
      response: ReplyDto,
      handler: ({ principal, params, body, request }) =>
        threads.reply(principal.userId, params.id, body, request.traceId),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/messages/:id/thread',
      summary: "A thread's replies in order, with its reply count and my unread count",
      tags,
      access: 'user',
      params: MessageIdParams,
      query: RepliesQuery,
      response: RepliesDto,
      handler: ({ principal, params, query }) =>
        threads.replies(principal.userId, params.id, query.afterSeq, query.limit),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/messages/:id/thread/read',
      summary: 'Mark a thread read (my other devices get THREAD_UPDATED)',
      tags,
      access: 'user',
      params: MessageIdParams,
      response: z.object({ rootMessageId: z.string(), unreadCount: z.number().int() }),
      handler: ({ principal, params }) => threads.markRead(principal.userId, params.id),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/messages/threads',
      summary: "A conversation's threads, latest reply first, with my unread count in each",
      tags,
      access: 'user',
      query: ThreadsQuery,
      response: ThreadsDto,
      handler: ({ principal, query }) => threads.list(principal.userId, query.sessionId, query.limit),
    }),
  ];
}
