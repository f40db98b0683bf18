import { SessionService as SessionContract } from '../platform/contracts/gen/anychat/session/v1/session_pb.ts';
import { type InternalService, internalService } from '../platform/ports/index.ts';
import type { SessionService } from './domain/session-service.ts';
import { SettingsInput } from './schemas.ts';

/** What the session service serves other services (proto/anychat/session/v1/session.proto). */
export function sessionInternal(sessions: SessionService): InternalService[] {
  return [
    internalService(
      SessionContract,
      { getSessionSettings: SettingsInput },
      {
        getSessionSettings: async ({ userId, sessionIds }) => ({
          settings: await sessions.settings(userId, sessionIds),
        }),
      },
    ),
  ];
}
