import { SessionService } from '../../platform/contracts/gen/anychat/session/v1/session_pb.ts';
import { UserService } from '../../platform/contracts/gen/anychat/user/v1/user_pb.ts';
import { BulkCalls, callBulk } from '../../platform/contracts/index.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/**
 * What the push service asks of other services: names for the text of a push (user), mutes and
 * unread totals (session), and removal of a dead registration (user, which owns the registry).
 */
export class Directory {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  async nickname(userId: string): Promise<string> {
    const [profile] = await callBulk(this.#invoke, BulkCalls.profiles, [userId], {});
    return profile?.nickname ?? '';
  }

  async groupName(groupId: string): Promise<string> {
    const [brief] = await callBulk(this.#invoke, BulkCalls.groupBriefs, [groupId], {});
    return brief?.name ?? '';
  }

  /** The user's unread messages over all conversations: the badge of a push that is not a message. */
  async unreadTotal(userId: string): Promise<number> {
    const { unread } = await this.#invoke.call(SessionService.method.getUnreadTotal, { userId });
    return unread;
  }

  /**
   * For a push of a message: the badge (the user's total unread, this message counted in even
   * when the session service has not yet learnt of it: both read the same events) and whether
   * the user muted the conversation. One call.
   */
  async messageView(
    userId: string,
    sessionId: string,
    seq: number,
  ): Promise<{ badge: number; muted: boolean }> {
    const answer = await this.#invoke.call(SessionService.method.getUnreadTotal, {
      userId,
      sessionId,
      seq: BigInt(seq),
    });
    return { badge: answer.counted ? answer.unread : answer.unread + 1, muted: answer.isMuted };
  }

  /** Removes a registration the provider said is dead, if the device still holds that token. */
  async removeDeadToken(userId: string, deviceId: string, pushToken: string): Promise<boolean> {
    const { removed } = await this.#invoke.call(UserService.method.removePushToken, {
      userId,
      deviceId,
      pushToken,
    });
    return removed;
  }
}
