import {
  BulkCalls,
  callBulk,
  type GroupInvitePolicy,
  groupInvitePolicyOf,
  type ProfileSummary,
  profilesOf,
} from '../../platform/contracts/index.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/** What the group service asks of the user and friend services, in bulk calls they accept. */
export class PeopleClient {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  /** Brief profiles of these users (deleted accounts as placeholders, unknown ones left out). */
  profiles(userIds: Iterable<string>): Promise<Map<string, ProfileSummary>> {
    return profilesOf(this.#invoke, userIds);
  }

  /** How `userId` stands towards each of `peerIds`. */
  async relations(userId: string, peerIds: Iterable<string>) {
    const relations = await callBulk(this.#invoke, BulkCalls.relations, peerIds, { userId });
    return new Map(relations.map((relation) => [relation.peerId, relation]));
  }

  /** Who may add each of these users to groups (users without settings are left out). */
  async groupInvitePolicies(userIds: Iterable<string>): Promise<Map<string, GroupInvitePolicy>> {
    const entries = await callBulk(this.#invoke, BulkCalls.groupInvitePolicies, userIds, {});
    return new Map(entries.map((entry) => [entry.userId, groupInvitePolicyOf(entry.groupInvitePolicy)]));
  }
}
