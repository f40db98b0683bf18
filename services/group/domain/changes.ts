import type { Config } from '../../platform/config.ts';
import {
  GroupTopics,
  type ProfileSummary,
  SystemMessageTopic,
  timelineAppend,
} from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import { plainJson } from '../../platform/events/index.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import { type Outbox, outboxEvent } from '../../platform/outbox.ts';
import type { PeopleClient } from '../clients/directory.ts';
import { type Group, type GroupMember, type LeaveReason, MemberStatus } from '../entities.ts';
import type { GroupStore, Membership } from '../store/index.ts';
import { type Admission, admit } from './admission.ts';
import { briefPayload, GroupEvents, NOTICE_LIST_MAX } from './events.ts';
import { fitNotice } from './notice-text.ts';
import { assertActive } from './rules.ts';
import type { AddHow, GroupView, Locked, WriteContext } from './types.ts';

export interface GroupChangesDeps {
  store: GroupStore;
  outbox: Outbox;
  people: PeopleClient;
  ids: SnowflakeGenerator;
  limits: Config['group'];
  /** MESSAGE_ALLOW_STRANGERS: whether a stranger may be put into a group without accepting an invitation. */
  allowStrangers: boolean;
}

export const membershipOf = (row: GroupMember): Membership => ({
  role: row.role,
  groupNickname: row.groupNickname ?? null,
  mutedUntil: row.mutedUntil ?? null,
  joinedAt: row.joinedAt,
});

/**
 * How every change of a group is made: in one transaction holding the group's row lock, its
 * notices (timeline events, system messages, `group.changed`) written to the outbox with it.
 * Also what several parts of the service share: adding and dropping members, views, profiles.
 */
export class GroupChanges {
  readonly #deps: GroupChangesDeps;

  constructor(deps: GroupChangesDeps) {
    this.#deps = deps;
  }

  get maxMembers(): number {
    return this.#deps.limits.maxMembers;
  }

  /**
   * Runs a change in one transaction. Notifications, system-message requests and cache
   * invalidations go to the outbox in that transaction and are published after it commits.
   */
  write<T>(work: (w: WriteContext) => Promise<T>): Promise<T> {
    return this.#deps.store.transaction(this.#deps.outbox, async (tx, events) => {
      const context: WriteContext = {
        tx,
        now: new Date(),
        touch: (groupId, userIds) => tx.touch(groupId, userIds),
        emit: (options) => {
          const eventId = this.#deps.ids.next();
          const { kind, recipients, payload, origin } = options;
          events.push(timelineAppend({ eventId, kind, recipients, payload, origin }));
          if (options.system) {
            events.push(
              outboxEvent(SystemMessageTopic, {
                eventId,
                groupId: options.groupId,
                recipients: [...new Set(options.system.recipients ?? options.recipients)],
                kind: options.kind,
                text: fitNotice(options.system.text),
                data: plainJson(options.system.data ?? options.payload),
              }),
            );
          }
          if (options.changed !== false) {
            events.push(outboxEvent(GroupTopics.changed, { groupId: options.groupId, kind: options.kind }));
          }
        },
      };
      return work(context);
    });
  }

  /** Reads the group under its row lock (every change of a group holds it), with its active members. */
  async lock(w: WriteContext, groupId: string, userId: string): Promise<Locked> {
    const group = await w.tx.lockGroup(groupId);
    if (!group) throw new AppError(ErrorCode.GROUP_NOT_FOUND);
    assertActive(group);
    const members = await w.tx.activeMembers(groupId);
    return { group, members, me: members.find((m) => m.userId === userId) };
  }

  /** A group as the viewer may see it: members see everything, others the public part. */
  async view(userId: string, groupId: string): Promise<GroupView> {
    const group = await this.#deps.store.group(groupId);
    if (!group) throw new AppError(ErrorCode.GROUP_NOT_FOUND);
    const me = await this.#deps.store.membership(groupId, userId);
    return { group, maxMembers: this.maxMembers, me: me ? membershipOf(me) : null };
  }

  viewOf(group: Group, me: GroupMember): GroupView {
    return { group, maxMembers: this.maxMembers, me: membershipOf(me) };
  }

  /** Adds users (not members now) to a locked group, within its size limit, and tells everyone. */
  async addMembers(
    w: WriteContext,
    { group, members }: Pick<Locked, 'group' | 'members'>,
    userIds: string[],
    how: AddHow,
  ): Promise<void> {
    const max = this.maxMembers;
    if (members.length + userIds.length > max)
      throw new AppError(ErrorCode.GROUP_FULL, {
        detail: `at most ${max} members; ${Math.max(0, max - members.length)} more can join`,
      });
    await w.tx.insertMembers(group.id, userIds, 'member', w.now);
    Object.assign(group, { memberCount: members.length + userIds.length, updatedAt: w.now });
    // Pending requests of the new members are settled by their joining; so are their invitations to it.
    await w.tx.settleJoined(group.id, userIds, how.origin.userId, w.now);
    const memberIds = [...members.map((m) => m.userId), ...userIds];
    await w.touch(group.id, memberIds);
    const joined = {
      groupId: group.id,
      userIds,
      users: userIds.map((id) => how.profiles.get(id) ?? null),
      via: how.via,
      inviterId: how.inviterId ?? null,
      memberCount: group.memberCount,
      group: briefPayload(group),
    };
    w.emit({
      kind: GroupEvents.memberJoined,
      groupId: group.id,
      recipients: memberIds,
      payload: {
        ...joined,
        userIds: userIds.slice(0, NOTICE_LIST_MAX),
        users: joined.users.slice(0, NOTICE_LIST_MAX),
        joinedCount: userIds.length,
      },
      origin: how.origin,
      system: { text: how.text, data: joined },
    });
  }

  /** Ends a membership (left or removed); the member's list reports why. */
  async drop(
    w: WriteContext,
    { group, members }: Pick<Locked, 'group' | 'members'>,
    member: GroupMember,
    reason: LeaveReason,
  ): Promise<void> {
    Object.assign(member, { status: MemberStatus.GONE, leftReason: reason, updatedAt: w.now });
    Object.assign(group, { memberCount: members.length - 1, updatedAt: w.now });
    await w.touch(
      group.id,
      members.map((m) => m.userId),
    );
  }

  /** Who of the candidates joins at once, who is invited, who neither (see admission.ts). */
  admit(inviterId: string, candidates: string[], profiles: Map<string, ProfileSummary>): Promise<Admission> {
    return admit(this.#deps.people, {
      inviterId,
      candidates,
      profiles,
      allowStrangers: this.#deps.allowStrangers,
    });
  }

  profiles(userIds: string[]): Promise<Map<string, ProfileSummary>> {
    return this.#deps.people.profiles(userIds);
  }
}
