import { z } from 'zod';
import type { RequestState } from '../platform/http/context.ts';
import { defineRoute } from '../platform/http/routes.ts';
import { rateLimit } from '../platform/security/rate-limit.ts';
import type { Drafts } from './domain/drafts.ts';
import type { Forwarding } from './domain/forward.ts';
import type { LinkPreviews } from './domain/link-preview/index.ts';
import type { ScheduledMessages } from './domain/scheduled.ts';
import type { ScheduleStatus } from './domain/scheduled-store.ts';
import type { SelfDestruct } from './domain/timers.ts';
import {
  DraftBody,
  DraftDto,
  DraftParams,
  ForwardBody,
  ForwardDto,
  LinkPreviewDto,
  LinkPreviewQuery,
  ScheduleBody,
  ScheduledDto,
  ScheduledQuery,
  ScheduleIdParams,
  SelfDestructBody,
} from './feature-schemas.ts';
import { SendAckDto } from './schemas.ts';

const tags = ['message'];

export interface MessageFeatures {
  forwarding: Forwarding;
  selfDestruct: SelfDestruct;
  scheduled: ScheduledMessages;
  drafts: Drafts;
  linkPreviews: LinkPreviews;
}

const STATUSES: Record<z.infer<typeof ScheduledQuery>['status'], ScheduleStatus[]> = {
  pending: ['pending', 'sending'],
  sent: ['sent'],
  cancelled: ['cancelled'],
  failed: ['failed'],
  all: ['pending', 'sending', 'sent', 'cancelled', 'failed'],
};

/** Forwarding, self-destructing and scheduled messages, drafts and link previews. */
export function featureRoutes(features: MessageFeatures, maxTextLength: number, rateLimitFactor: number) {
  const { forwarding, selfDestruct, scheduled, drafts, linkPreviews } = features;
  const perUser = (name: string, perMinute: number) =>
    rateLimit(name, {
      limit: Math.max(1, Math.round(perMinute * rateLimitFactor)),
      windowMs: 60_000,
      key: (ctx) => `user:${(ctx.state as RequestState).principal?.userId ?? ctx.ip}`,
    });
  // A forward is up to 500 sends; a preview is an outbound fetch; a draft a timeline event.
  const forwardLimit = perUser('message-forward', 20);
  const previewLimit = perUser('link-preview', 30);
  const draftLimit = perUser('draft', 120);
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/messages/forward',
      summary:
        'Forward messages I can see to one or more conversations (files by reference, not uploaded again); separately or merged',
      tags,
      access: 'user',
      body: ForwardBody,
      response: ForwardDto,
      middleware: [forwardLimit],
      handler: ({ principal, body, request }) =>
        forwarding.forward({ ...body, userId: principal.userId }, request.traceId),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/messages/self-destructing',
      summary:
        'Send a message that is removed from every device and the server after ttlSeconds (from its first reading, or from the send); MESSAGE_DESTROYED tells the devices',
      tags,
      access: 'user',
      body: SelfDestructBody,
      response: SendAckDto,
      handler: ({ principal, body, request }) =>
        selfDestruct.send({ ...body, senderId: principal.userId, deviceId: undefined }, request.traceId),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/messages/scheduled',
      summary: 'Schedule a message to be sent at sendAt (idempotent on clientMsgId)',
      tags,
      access: 'user',
      body: ScheduleBody,
      response: ScheduledDto,
      handler: ({ principal, body }) => scheduled.schedule({ ...body, senderId: principal.userId }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/messages/scheduled',
      summary: 'My scheduled messages by status, soonest first',
      tags,
      access: 'user',
      query: ScheduledQuery,
      response: z.object({ scheduled: z.array(ScheduledDto) }),
      handler: ({ principal, query }) =>
        scheduled.list(principal.userId, STATUSES[query.status], query.limit),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/messages/scheduled/:id',
      summary: 'Cancel my scheduled message before it is sent',
      tags,
      access: 'user',
      params: ScheduleIdParams,
      response: ScheduledDto,
      handler: ({ principal, params }) => scheduled.cancel(principal.userId, params.id),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/messages/drafts',
      summary: 'My drafts, one per conversation, newest first',
      tags,
      access: 'user',
      response: z.object({ drafts: z.array(DraftDto) }),
      handler: ({ principal }) => drafts.list(principal.userId),
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/messages/drafts/:sessionId',
      summary: 'Save my draft of a conversation; my other devices get DRAFT_UPDATED',
      tags,
      access: 'user',
      params: DraftParams,
      body: DraftBody(maxTextLength),
      response: DraftDto,
      middleware: [draftLimit],
      handler: ({ principal, params, body }) =>
        drafts.save(
          principal.userId,
          { sessionId: params.sessionId, text: body.text, quoteMessageId: body.quoteMessageId ?? null },
          principal.deviceId,
        ),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/messages/drafts/:sessionId',
      summary: 'Clear my draft of a conversation; my other devices get DRAFT_UPDATED with text null',
      tags,
      access: 'user',
      params: DraftParams,
      response: z.null(),
      middleware: [draftLimit],
      handler: async ({ principal, params }) => {
        await drafts.clear(principal.userId, params.sessionId, principal.deviceId);
        return null;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/messages/link-preview',
      summary:
        "A link's title, description and image, fetched by the server (public addresses only unless allowed; size, time and redirect limits)",
      tags,
      access: 'user',
      query: LinkPreviewQuery,
      response: LinkPreviewDto,
      middleware: [previewLimit],
      handler: ({ query }) => linkPreviews.preview(query.url),
    }),
  ];
}
