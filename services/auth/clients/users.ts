import { UserService } from '../../platform/contracts/gen/anychat/user/v1/user_pb.ts';
import { type CreateProfileRequest, profilesOf, unsetNulls } from '../../platform/contracts/index.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/** What the auth service asks of the user service. */
export class UserClient {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  /** Creates the profile of an account just registered. */
  async createProfile(profile: CreateProfileRequest): Promise<void> {
    await this.#invoke.call(UserService.method.createProfile, unsetNulls(profile));
  }

  /** The nickname and avatar a sign-in answers with; undefined when the profile is not there (yet). */
  async brief(userId: string): Promise<{ nickname: string; avatar: string | null } | undefined> {
    const profile = (await profilesOf(this.#invoke, [userId])).get(userId);
    return profile ? { nickname: profile.nickname, avatar: profile.avatar ?? null } : undefined;
  }
}
