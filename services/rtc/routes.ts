import type { z } from 'zod';
import type { RequestState } from '../platform/http/context.ts';
import { defineRoute } from '../platform/http/routes.ts';
import { rateLimit } from '../platform/security/index.ts';
import type { CallRow, Calls } from './domain/index.ts';
import {
  CallDto,
  CallIdParams,
  CallLogDto,
  HangupDto,
  HistoryQuery,
  InviteBody,
  InviteDto,
  JoinTicketDto,
  RejectBody,
  TokenQuery,
} from './schemas.ts';

const tags = ['rtc'];
const iso = (date: string | null) => (date ? new Date(date).toISOString() : null);

const callFields = (call: CallRow) => ({
  callId: call.call_id,
  callType: call.call_type,
  callerId: call.caller_id,
  calleeId: call.callee_id,
  groupId: call.group_id,
  status: call.status,
  endReason: call.end_reason,
  createdAt: new Date(call.created_at).toISOString(),
  connectedAt: iso(call.start_time),
  endedAt: iso(call.end_time),
  duration: call.duration ?? 0,
});

/** Calls (seed §5.1.8). Without LiveKit configured every route answers 100111. */
export function rtcRoutes(calls: Calls, rateLimitFactor: number) {
  // Each invitation rings devices and may push to phones: cheap to send, costly to receive.
  const inviteLimit = rateLimit('call-invite', {
    limit: Math.max(1, Math.round(10 * rateLimitFactor)),
    windowMs: 60_000,
    key: (ctx) => `user:${(ctx.state as RequestState).principal?.userId ?? ctx.ip}`,
  });
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/calls/invite',
      summary: 'Start a one-to-one or group call: rings the callees and answers a token for the caller',
      tags,
      access: 'user',
      middleware: [inviteLimit],
      body: InviteBody,
      response: InviteDto,
      handler: ({ body, principal }) => calls.invite(principal, body),
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/calls/:id/accept',
      summary: 'Answer a ringing call on this device (the others stop ringing)',
      tags,
      access: 'user',
      params: CallIdParams,
      response: JoinTicketDto,
      handler: ({ params, principal }) => calls.accept(principal, params.id),
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/calls/:id/reject',
      summary: 'Reject a ringing call',
      tags,
      access: 'user',
      params: CallIdParams,
      body: RejectBody,
      response: HangupDto.nullable(),
      handler: async ({ params, body, principal }) => {
        await calls.reject(principal, params.id, body.reason);
        return null;
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/calls/:id/hangup',
      summary: 'Hang up (cancel a call still ringing; leave a group call)',
      tags,
      access: 'user',
      params: CallIdParams,
      response: HangupDto,
      handler: ({ params, principal }) => calls.hangup(principal, params.id),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/calls/token',
      summary: 'A fresh LiveKit token for a call you are in (reconnect, or move the call to this device)',
      tags,
      access: 'user',
      query: TokenQuery,
      response: JoinTicketDto,
      handler: ({ query, principal }) => calls.token(principal, query.callId),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/calls',
      summary: 'Your call log, newest first',
      tags,
      access: 'user',
      query: HistoryQuery,
      response: CallLogDto,
      handler: async ({ query, principal }): Promise<z.infer<typeof CallLogDto>> => {
        const rows = await calls.history(principal, query.beforeCallId, query.limit);
        return {
          items: rows.map((row) => ({
            ...callFields(row),
            direction: row.role === 'caller' ? ('outgoing' as const) : ('incoming' as const),
            myState: row.state,
          })),
          nextBeforeCallId: rows.length === query.limit ? rows.at(-1)!.call_id : null,
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/calls/:id',
      summary: 'A call you take part in: its state, each participant and their tracks',
      tags,
      access: 'user',
      params: CallIdParams,
      response: CallDto,
      handler: async ({ params, principal }): Promise<z.infer<typeof CallDto>> => {
        const { call, logs, live } = await calls.get(principal, params.id);
        return {
          ...callFields(call),
          participants: logs.map((log) => ({
            userId: log.user_id,
            role: log.role,
            state: log.state,
            inRoom: log.in_room,
            tracks: live.find((p) => p.identity === log.user_id)?.tracks ?? [],
          })),
        };
      },
    }),
  ];
}
