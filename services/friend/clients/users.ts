import { BotService } from '../../platform/contracts/gen/anychat/auth/v1/bots_pb.ts';
import { UserService } from '../../platform/contracts/gen/anychat/user/v1/user_pb.ts';
import {
  type Privacy,
  type ProfileSummary,
  privacySettingsOf,
  profilesOf,
} from '../../platform/contracts/index.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/** What the friend service asks of the user service. */
export class UserClient {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  /** Brief profiles of these users, each asked once, in as many calls as the user service needs. */
  profiles(userIds: Iterable<string>): Promise<Map<string, ProfileSummary>> {
    return profilesOf(this.#invoke, userIds);
  }

  /** Whether the user approves friend requests (otherwise a request makes a friendship at once). */
  async friendVerify(userId: string): Promise<boolean> {
    return (await this.#invoke.call(UserService.method.getSettings, { userId })).friendVerify;
  }

  /** Privacy settings of these users (defaults for a user the user service does not know). */
  privacy(userIds: Iterable<string>): Promise<Map<string, Privacy>> {
    return privacySettingsOf(this.#invoke, userIds);
  }

  /** Users whose phone number has one of these contact hashes (at most MAX_PHONE_HASHES). */
  async findByPhoneHashes(phoneHashes: string[]): Promise<Array<{ userId: string; phoneHash: string }>> {
    if (phoneHashes.length === 0) return [];
    return (await this.#invoke.call(UserService.method.findByPhoneHashes, { phoneHashes })).matches;
  }

  /** A bot's owner and whether others may befriend it (auth owns bots); undefined when not a live bot. */
  async bot(userId: string): Promise<{ ownerId: string; acceptsFriendRequests: boolean } | undefined> {
    const [bot] = (await this.#invoke.call(BotService.method.getBots, { userIds: [userId] })).bots;
    return bot;
  }
}
