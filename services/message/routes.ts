import { z } from 'zod';
import { defineRoute } from '../platform/http/routes.ts';
import type { GroupStreams } from './domain/group-streams.ts';
import type { MessageService } from './domain/message-service.ts';
import {
  ClearBody,
  GroupReadsDto,
  GroupReadsParams,
  GroupReadsQuery,
  HistoryDto,
  HistoryQuery,
  MessageIdParams,
  OfflineDto,
  OfflineQuery,
  ReadBody,
  SearchDto,
  SearchQuery,
  SendAckDto,
  SendBody,
} from './schemas.ts';

const tags = ['message'];

export function messageRoutes(messages: MessageService, streams: GroupStreams) {
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/messages',
      summary: 'Send a message (same as the SEND_MESSAGE frame); idempotent on clientMsgId',
      tags,
      access: 'user',
      scope: 'messages:send',
      body: SendBody,
      response: SendAckDto,
      handler: ({ principal, body, request }) =>
        messages.send({ ...body, senderId: principal.userId, deviceId: undefined }, request.traceId),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/messages/offline',
      summary: 'Everything after a syncSeq, in order (offline pull)',
      tags,
      access: 'user',
      scope: 'messages:read',
      query: OfflineQuery,
      response: OfflineDto,
      handler: async ({ principal, query }) => ({
        ...(await messages.offline(principal.userId, query.lastSeq, query.limit)),
        groups: await streams.offline(principal.userId, query.groupSeqs, query.limit),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/messages/history',
      summary: "A conversation's messages by seq, with sent/delivered/read status of mine",
      tags,
      access: 'user',
      scope: 'messages:read',
      query: HistoryQuery,
      response: HistoryDto,
      handler: ({ principal, query }) => messages.history(principal.userId, query),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/messages/search',
      summary: 'Search my conversations by keyword, sender, content type and time',
      tags,
      access: 'user',
      query: SearchQuery,
      response: SearchDto,
      handler: ({ principal, query }) => messages.search(principal.userId, query),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/messages/ack',
      summary: 'Mark a conversation read (up to the given messages, or all of it)',
      tags,
      access: 'user',
      scope: 'messages:read',
      body: ReadBody,
      response: z.object({ readSeq: z.number().int() }),
      handler: ({ principal, body }) => messages.markRead(principal.userId, body.sessionId, body.messageIds),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/messages/clear',
      summary: 'Clear a conversation for me (the other side keeps it)',
      tags,
      access: 'user',
      body: ClearBody,
      response: z.object({ clearedSeq: z.number().int() }),
      handler: ({ principal, body }) => messages.clear(principal.userId, body.sessionId),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/messages/:id/recall',
      summary: 'Recall my message (within the recall window)',
      tags,
      access: 'user',
      params: MessageIdParams,
      response: z.null(),
      handler: async ({ principal, params }) => {
        await messages.recall(principal.userId, params.id);
        return null;
      },
    }),
    defineRoute({
      method: 'get',
      // Under /messages (not /groups/…): the message service answers it, and ingresses route by prefix.
      path: '/api/v1/messages/:msgId/reads',
      summary: 'Who of the group read a message (members only)',
      tags,
      access: 'user',
      params: GroupReadsParams,
      query: GroupReadsQuery,
      response: GroupReadsDto,
      handler: ({ principal, params, query }) =>
        messages.groupReads(principal.userId, query.groupId, params.msgId),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/messages/:id',
      summary: 'Delete a message for me',
      tags,
      access: 'user',
      params: MessageIdParams,
      response: z.null(),
      handler: async ({ principal, params }) => {
        await messages.deleteForMe(principal.userId, params.id);
        return null;
      },
    }),
  ];
}
