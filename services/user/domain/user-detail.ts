import { type Privacy, type Relation, visibleTo } from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { PresenceRegistry } from '../../platform/presence/index.ts';
import type { UserProfile } from '../entities.ts';
import type { UserService } from './user-service.ts';

export interface UserDetail {
  profile: UserProfile;
  relation: Relation;
  online: boolean;
  platforms: string[];
  lastActiveTime: string | null;
  accountDeleted: boolean;
}

/**
 * Another user as the viewer sees them: profile (this service), relation (asked of the friend
 * service) and presence (the gateways' registry in the shared store, as the user's privacy allows).
 * An id nobody has answers 20103 (seed §5: GET /users/:id, 用户不存在); a deleted account is still
 * found, anonymised, so that its old messages and friend requests name someone.
 */
export function userDetail(
  users: UserService,
  relationOf: (userId: string, peerId: string) => Promise<Relation>,
  presence: PresenceRegistry,
  privacyOf: (userId: string) => Promise<Privacy>,
) {
  return async (viewerId: string, userId: string): Promise<UserDetail> => {
    const [profile, relation, seen, privacy] = await Promise.all([
      users.profile(userId),
      relationOf(viewerId, userId),
      presence.lookup([userId]),
      privacyOf(userId),
    ]).catch((error: unknown) => {
      if (error instanceof AppError && error.code === ErrorCode.PROFILE_NOT_FOUND)
        throw new AppError(ErrorCode.USER_UNKNOWN, { detail: `user ${userId}` });
      throw error;
    });
    // A deleted account shows no trace of activity (its sessions ended with it); a user shows it
    // only to those their privacy setting lets see it.
    const shown =
      !profile.deletedAt && (viewerId === userId || visibleTo(privacy.presence, relation.isFriend));
    const state = shown ? seen.get(userId) : undefined;
    return {
      profile,
      relation,
      online: state?.online ?? false,
      platforms: state?.platforms ?? [],
      lastActiveTime: state?.lastActiveAt ? new Date(state.lastActiveAt).toISOString() : null,
      accountDeleted: profile.deletedAt != null,
    };
  };
}
