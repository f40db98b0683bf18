import { z } from 'zod';
import { SessionService as SessionContract } from '../platform/contracts/gen/anychat/session/v1/session_pb.ts';
import { type InputSchemas, type InternalService, internalService } from '../platform/ports/index.ts';
import { schemas } from '../platform/validation.ts';
import type { SessionService } from './domain/session-service.ts';
import { SettingsInput } from './schemas.ts';

/** Input rules of SessionService's methods (test/unit/contracts.test.ts holds them to the proto messages). */
export const SessionInputs = {
  getSessionSettings: SettingsInput,
  getUnreadTotal: z.object({
    userId: schemas.id,
    sessionId: z.string().max(64).optional(),
    seq: z.bigint().min(0n).max(BigInt(Number.MAX_SAFE_INTEGER)).transform(Number).optional(),
  }),
} satisfies InputSchemas<typeof SessionContract>;

/** What the session service serves other services (proto/anychat/session/v1/session.proto). */
export function sessionInternal(sessions: SessionService): InternalService[] {
  return [
    internalService(SessionContract, SessionInputs, {
      getSessionSettings: async ({ userId, sessionIds }) => ({
        settings: await sessions.settings(userId, sessionIds),
      }),
      getUnreadTotal: async ({ userId, sessionId, seq }) => {
        if (sessionId === undefined || seq === undefined) {
          const { total, mentionUnread } = await sessions.unread(userId);
          return { unread: total, mentionUnread, counted: false, isMuted: false };
        }
        // The conversation's position and the unread rows change in one transaction, but are read
        // apart: the position is read on both sides of the total, so that `counted` always says
        // whether that total includes the message.
        const covers = (position: { seq: number } | null) => position !== null && position.seq >= seq;
        const before = await sessions.position(userId, sessionId);
        let summary = await sessions.unread(userId);
        let counted = covers(before);
        let isMuted = before?.isMuted ?? false;
        if (!counted) {
          const after = await sessions.position(userId, sessionId);
          if (covers(after)) {
            summary = await sessions.unread(userId);
            counted = true;
            isMuted = after?.isMuted ?? false;
          }
        }
        return { unread: summary.total, mentionUnread: summary.mentionUnread, counted, isMuted };
      },
    }),
  ];
}
