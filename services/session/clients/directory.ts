import {
  BulkCalls,
  callBulk,
  type GroupBrief,
  nullsForUnset,
  type ProfileSummary,
  profilesOf,
} from '../../platform/contracts/index.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/** Names and avatars of the other side of conversations: users (user service) and groups (group service). */
export class Directory {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  /** Brief profiles of these users, each asked once, in as many calls as the user service needs. */
  profiles(userIds: Iterable<string>): Promise<Map<string, ProfileSummary>> {
    return profilesOf(this.#invoke, userIds);
  }

  /** Names and avatars of these groups. */
  async groups(groupIds: Iterable<string>): Promise<Map<string, GroupBrief>> {
    const briefs = await callBulk(this.#invoke, BulkCalls.groupBriefs, groupIds, {});
    return new Map(briefs.map((brief) => [brief.groupId, nullsForUnset(brief, ['avatar'])]));
  }
}
