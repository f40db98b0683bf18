import { z } from 'zod';
import { defineRoute } from '../platform/http/routes.ts';
import type { SessionService } from './domain/session-service.ts';
import {
  CreateSessionBody,
  ListQuery,
  MuteBody,
  PinBody,
  SessionDto,
  SessionIdParams,
  SessionListDto,
  UnreadDto,
} from './schemas.ts';

const tags = ['session'];

export function sessionRoutes(sessions: SessionService) {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/sessions',
      summary:
        'My conversations, pinned first then by latest message; with lastUpdateTime, every change since then',
      tags,
      access: 'user',
      scope: 'messages:read',
      query: ListQuery,
      response: SessionListDto,
      handler: ({ principal, query }) =>
        query.lastUpdateTime
          ? sessions.changes(principal.userId, query.lastUpdateTime)
          : sessions.list(principal.userId, query.page, query.pageSize),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/sessions',
      summary: 'Open a one-to-one conversation (idempotent; lists it again if I had deleted it)',
      tags,
      access: 'user',
      body: CreateSessionBody,
      response: SessionDto,
      handler: ({ principal, body }) => sessions.open(principal, body.sessionType, body.targetId),
    }),
    // Declared before /sessions/:id so that "unread" is never taken for an id.
    defineRoute({
      method: 'get',
      path: '/api/v1/sessions/unread',
      summary: 'My unread totals (muted conversations are left out of the badge total)',
      tags,
      access: 'user',
      response: UnreadDto,
      handler: ({ principal }) => sessions.unread(principal.userId),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/sessions/:id',
      summary: 'One of my conversations',
      tags,
      access: 'user',
      params: SessionIdParams,
      response: SessionDto,
      handler: ({ principal, params }) => sessions.get(principal.userId, params.id),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/sessions/:id',
      summary: 'Remove a conversation from my list (it comes back with the next message)',
      tags,
      access: 'user',
      params: SessionIdParams,
      response: z.null(),
      handler: async ({ principal, params }) => {
        await sessions.remove(principal, params.id);
        return null;
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/sessions/:id/pin',
      summary: 'Pin or unpin a conversation',
      tags,
      access: 'user',
      params: SessionIdParams,
      body: PinBody,
      response: SessionDto,
      handler: ({ principal, params, body }) => sessions.setPinned(principal, params.id, body.isPinned),
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/sessions/:id/mute',
      summary: 'Mute or unmute a conversation (do not disturb)',
      tags,
      access: 'user',
      params: SessionIdParams,
      body: MuteBody,
      response: SessionDto,
      handler: ({ principal, params, body }) => sessions.setMuted(principal, params.id, body.isMuted),
    }),
  ];
}
