import type { IncomingMessage, ServerResponse } from 'node:http';
import { LRUCache } from 'lru-cache';
import { AppError, ErrorCode } from '../platform/errors.ts';
import type { RawHandler } from '../platform/http/routes.ts';
import { type Calls, type LiveKit, type Meetings, outcomeOf, type Recordings } from './domain/index.ts';
import { meetingOfRoom } from './domain/meetings.ts';
import { rtcFigures } from './metrics.ts';

/** Where LiveKit posts its webhooks (its `webhook.urls`). */
export const WEBHOOK_PATH = '/api/v1/rtc/webhook';
/** LiveKit's events are small JSON documents. */
const MAX_BODY_BYTES = 64 * 1024;

const ROOM_EVENTS = {
  participant_joined: 'joined',
  participant_left: 'left',
  room_finished: 'room_finished',
} as const;

const EGRESS_EVENTS = new Set(['egress_started', 'egress_updated', 'egress_ended']);

/**
 * LiveKit posts an event again when its first post got no answer in time. The state changes are
 * idempotent; the meeting-minutes counter is not, so the ids of recently counted events are kept.
 */
const RECENTLY_COUNTED = 10_000;

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new AppError(ErrorCode.PAYLOAD_TOO_LARGE);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * LiveKit's webhooks, read as raw bytes: the signature (a JWT in `Authorization`, signed with the
 * API secret) covers the SHA-256 of the body exactly as sent. A request whose signature does not
 * hold is refused with 000012 and changes nothing.
 */
export function webhookHandler(
  calls: Calls,
  meetings: Meetings,
  recordings: Recordings,
  livekit: LiveKit | undefined,
): RawHandler {
  const counted = new LRUCache<string, true>({ max: RECENTLY_COUNTED });
  return {
    pathPrefix: WEBHOOK_PATH,
    async handle(request: IncomingMessage, response: ServerResponse) {
      if (request.method !== 'POST') throw new AppError(ErrorCode.NOT_FOUND);
      if (!livekit) throw new AppError(ErrorCode.CALLS_NOT_CONFIGURED);
      const event = await livekit.webhookEvent(await bodyOf(request), request.headers.authorization);
      const kind = ROOM_EVENTS[event.event as keyof typeof ROOM_EVENTS];
      if (kind && event.room?.name) await calls.roomEvent(kind, event.room.name, event.participant?.identity);
      if (kind === 'room_finished' && event.room?.name) await meetings.roomFinished(event.room.name);
      if (EGRESS_EVENTS.has(event.event) && event.egressInfo)
        await recordings.egressEvent(outcomeOf(event.egressInfo));
      // Counted on receipt (the event's own time is in whole seconds): its time in the room so far.
      if (
        kind === 'left' &&
        event.participant &&
        meetingOfRoom(event.room?.name ?? '') &&
        firstTime(counted, event.id)
      )
        rtcFigures.meetingParticipantLeft(
          (Date.now() - Number(event.participant.joinedAtMs || event.participant.joinedAt * 1000n)) / 1000,
        );
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ code: 0, message: 'success', data: null }));
    },
  };
}

/** Whether the event with this id is seen here for the first time (an event without id always is). */
function firstTime(seen: LRUCache<string, true>, id: string): boolean {
  if (!id) return true;
  if (seen.has(id)) return false;
  seen.set(id, true);
  return true;
}
