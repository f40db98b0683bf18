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
        const [{ total, mentionUnread }, position] = await Promise.all([
          sessions.unread(userId),
          sessionId === undefined ? null : sessions.position(userId, sessionId),
        ]);
        return {
          unread: total,
          mentionUnread,
          counted: position !== null && seq !== undefined && position.seq >= seq,
          isMuted: position?.isMuted ?? false,
        };
      },
    }),
  ];
}
