import { SYSTEM_SENDER } from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { SensitiveWords } from '../../platform/moderation/index.ts';
import { type Group, GroupStatus, MemberStatus } from '../entities.ts';
import type { GroupStore } from '../store/index.ts';
import type { GroupChanges } from './changes.ts';
import { administratorPart, briefPayload, GroupEvents, NOTICE_LIST_MAX } from './events.ts';
import type { GroupInvitations } from './invitations.ts';
import { nameOf, namesOf } from './notice-text.ts';
import { requireAdmin, requireOwner } from './rules.ts';
import {
  type Actor,
  ADMINISTRATOR,
  type AddOutcome,
  type GroupPage,
  type GroupSettings,
  type GroupView,
  type Locked,
  type Origin,
  SETTING_KEYS,
  type WriteContext,
} from './types.ts';

export interface GroupsDeps {
  store: GroupStore;
  changes: GroupChanges;
  invitations: GroupInvitations;
  /** The administrator's forbidden words: group names and announcements holding one are refused. */
  words: SensitiveWords;
  /** The URL of a group avatar set from an upload, once the file service has checked the file (avatarUrlOf). */
  avatarUrl: (userId: string, fileId: string, groupId: string) => Promise<string>;
}

const settingsOf = (group: Group): GroupSettings =>
  Object.fromEntries(SETTING_KEYS.map((key) => [key, group[key]])) as GroupSettings;

/** Groups themselves: creating, viewing, listing, changing (name, avatar, notice, settings), dismissing. */
export class Groups {
  readonly #deps: GroupsDeps;

  constructor(deps: GroupsDeps) {
    this.#deps = deps;
  }

  /**
   * Creates a group owned by the caller with at least two other members (or invitees). The
   * creator's friends join at once (as their "who may add me" setting allows); others get an
   * invitation. Users who do not exist or who blacklisted the creator are left out and reported.
   */
  async create(
    origin: Origin,
    input: { name: string; avatar: string | null; memberIds: string[] },
  ): Promise<AddOutcome & { view: GroupView }> {
    const { changes } = this.#deps;
    const ownerId = origin.userId;
    const candidates = [...new Set(input.memberIds)].filter((id) => id !== ownerId);
    if (candidates.length < 2)
      throw new AppError(ErrorCode.GROUP_TOO_FEW_MEMBERS, {
        detail: 'a group needs at least 2 members besides its owner',
      });
    const max = changes.maxMembers;
    if (candidates.length + 1 > max)
      throw new AppError(ErrorCode.GROUP_FULL, { detail: `at most ${max} members` });
    await this.#assertCleanText({ name: input.name });
    const profiles = await changes.profiles([ownerId, ...candidates]);
    const { direct: accepted, invited, failures } = await changes.admit(ownerId, candidates, profiles);
    if (accepted.length + invited.length < 2)
      throw new AppError(ErrorCode.GROUP_TOO_FEW_MEMBERS, {
        detail: `only ${accepted.length + invited.length} of the users can join or be invited`,
        data: { failedIds: failures.map((f) => f.userId), failures },
      });
    const view = await changes.write(async (w) => {
      const group = await w.tx.createGroup({
        name: input.name,
        avatar: input.avatar,
        announcement: null,
        announcementBy: null,
        announcementAt: null,
        ownerId,
        memberCount: accepted.length + 1,
        allMuted: false,
        joinVerify: true,
        memberInvite: true,
        historyVisible: true,
        memberAddFriend: true,
        status: GroupStatus.ACTIVE,
        createdAt: w.now,
        updatedAt: w.now,
        dismissedAt: null,
      });
      await w.tx.insertMembers(group.id, [ownerId], 'owner', w.now);
      await w.tx.insertMembers(group.id, accepted, 'member', w.now);
      const memberIds = [ownerId, ...accepted];
      await w.touch(group.id, memberIds);
      w.emit({
        kind: GroupEvents.created,
        groupId: group.id,
        recipients: memberIds,
        payload: { ...briefPayload(group), ownerId, memberIds: memberIds.slice(0, NOTICE_LIST_MAX) },
        origin,
        system: {
          text: `${nameOf(profiles, ownerId)} created the group${
            accepted.length > 0 ? ` and invited ${namesOf(profiles, accepted)}` : ''
          }`,
          data: { ...briefPayload(group), ownerId, memberIds },
        },
      });
      await this.#deps.invitations.issue(w, group, ownerId, invited, profiles);
      return {
        group,
        maxMembers: max,
        me: { role: 'owner' as const, groupNickname: null, mutedUntil: null, joinedAt: w.now },
      };
    });
    return { view, successIds: accepted, invitedIds: invited, failures };
  }

  /** A group as the viewer may see it: members see everything, others the public part. */
  info(userId: string, groupId: string): Promise<GroupView> {
    return this.#deps.changes.view(userId, groupId);
  }

  /**
   * Without `since`: a page of my groups. With `since`: what changed in my list after that cursor,
   * groups I left, was removed from or that were dismissed included.
   */
  async listMine(
    userId: string,
    options: { since?: number | undefined; page: number; pageSize: number },
  ): Promise<GroupPage> {
    const { groups, ...page } = await this.#deps.store.listPage(userId, options);
    const maxMembers = this.#deps.changes.maxMembers;
    return { groups: groups.map((row) => (row.gone ? row : { ...row, maxMembers })), ...page };
  }

  /** Changes name, avatar or announcement (owner and admins). */
  async update(
    origin: Origin,
    groupId: string,
    changes: {
      name?: string | undefined;
      avatar?: string | null | undefined;
      avatarFileId?: string | undefined;
      announcement?: string | null | undefined;
    },
  ): Promise<GroupView> {
    await this.#assertCleanText(changes);
    // Asked before the group is locked (a service call); whether the caller may change it is checked under the lock.
    const avatar = changes.avatarFileId
      ? await this.#deps.avatarUrl(origin.userId, changes.avatarFileId, groupId)
      : changes.avatar;
    const names = await this.#deps.changes.profiles([origin.userId]);
    return this.#deps.changes.write(async (w) => {
      const { group, members, me } = await this.#deps.changes.lock(w, groupId, origin.userId);
      requireAdmin(me);
      const memberIds = members.map((m) => m.userId);
      const actor = nameOf(names, origin.userId);
      const changed: string[] = [];
      if (changes.name !== undefined && changes.name !== group.name) {
        group.name = changes.name;
        changed.push('name');
      }
      if (avatar !== undefined && avatar !== (group.avatar ?? null)) {
        group.avatar = avatar;
        changed.push('avatar');
      }
      const announcementChanged =
        changes.announcement !== undefined && changes.announcement !== (group.announcement ?? null);
      if (changed.length === 0 && !announcementChanged) return this.#deps.changes.viewOf(group, me!);
      group.updatedAt = w.now;
      if (changed.length > 0)
        w.emit({
          kind: GroupEvents.updated,
          groupId,
          recipients: memberIds,
          payload: { groupId, changed, ...briefPayload(group), updatedBy: origin.userId },
          origin,
          system: {
            text: changed.includes('name')
              ? `${actor} changed the group name to "${group.name}"`
              : `${actor} changed the group avatar`,
          },
        });
      if (announcementChanged) {
        group.announcement = changes.announcement ?? null;
        group.announcementBy = origin.userId;
        group.announcementAt = w.now;
        w.emit({
          kind: GroupEvents.announcement,
          groupId,
          recipients: memberIds,
          payload: {
            groupId,
            announcement: group.announcement ?? null,
            updatedBy: origin.userId,
            updatedAt: w.now.toISOString(),
          },
          origin,
          system: {
            text: group.announcement
              ? `Group notice: ${group.announcement}`
              : `${actor} cleared the group notice`,
          },
        });
      }
      await w.touch(groupId, memberIds);
      return this.#deps.changes.viewOf(group, me!);
    });
  }

  /** Changes the group's settings (owner and admins). */
  async updateSettings(origin: Origin, groupId: string, changes: Partial<GroupSettings>): Promise<GroupView> {
    const names = await this.#deps.changes.profiles([origin.userId]);
    return this.#deps.changes.write(async (w) => {
      const { group, members, me } = await this.#deps.changes.lock(w, groupId, origin.userId);
      requireAdmin(me);
      const changed = SETTING_KEYS.filter((key) => changes[key] !== undefined && changes[key] !== group[key]);
      if (changed.length === 0) return this.#deps.changes.viewOf(group, me!);
      for (const key of changed) group[key] = changes[key]!;
      group.updatedAt = w.now;
      const memberIds = members.map((m) => m.userId);
      const actor = nameOf(names, origin.userId);
      if (changed.includes('allMuted'))
        w.emit({
          kind: GroupEvents.muted,
          groupId,
          recipients: memberIds,
          payload: { groupId, allMuted: group.allMuted, mutedBy: origin.userId },
          origin,
          system: { text: group.allMuted ? `${actor} muted everyone` : `${actor} unmuted everyone` },
        });
      const others = changed.filter((key) => key !== 'allMuted');
      if (others.length > 0)
        w.emit({
          kind: GroupEvents.updated,
          groupId,
          recipients: memberIds,
          payload: { groupId, changed: others, settings: settingsOf(group), updatedBy: origin.userId },
          origin,
          system: {
            text: `${actor} changed the group settings: ${others
              .map((key) => `${key} ${group[key] ? 'on' : 'off'}`)
              .join(', ')}`,
          },
        });
      await w.touch(groupId, memberIds);
      return this.#deps.changes.viewOf(group, me!);
    });
  }

  /** Dismisses the group (owner only): every member is out, and it changes no more. */
  async dismiss(origin: Origin, groupId: string): Promise<void> {
    const names = await this.#deps.changes.profiles([origin.userId]);
    await this.#deps.changes.write(async (w) => {
      const locked = await this.#deps.changes.lock(w, groupId, origin.userId);
      requireOwner(locked.me);
      await this.#dismissLocked(
        w,
        locked,
        { by: origin.userId, origin },
        `${nameOf(names, origin.userId)} dismissed the group`,
      );
    });
  }

  /** The platform administrator dismisses a group: members are told as when the owner does it. */
  async dismissByAdministrator(groupId: string, reason: string | undefined): Promise<void> {
    await this.#deps.changes.write(async (w) => {
      const locked = await this.#deps.changes.lock(w, groupId, SYSTEM_SENDER);
      await this.#dismissLocked(
        w,
        locked,
        { ...ADMINISTRATOR, reason },
        `The platform administrator dismissed the group${reason ? `: ${reason}` : ''}`,
      );
    });
  }

  async #dismissLocked(
    w: WriteContext,
    { group, members }: Locked,
    actor: Actor,
    text: string,
  ): Promise<void> {
    group.status = GroupStatus.DISMISSED;
    group.dismissedAt = w.now;
    group.updatedAt = w.now;
    for (const member of members)
      Object.assign(member, { status: MemberStatus.GONE, leftReason: 'dismissed', updatedAt: w.now });
    const memberIds = members.map((m) => m.userId);
    await w.touch(group.id, memberIds);
    w.emit({
      kind: GroupEvents.dismissed,
      groupId: group.id,
      recipients: memberIds,
      payload: {
        groupId: group.id,
        name: group.name,
        dismissedBy: actor.by,
        dismissedAt: w.now.toISOString(),
        ...administratorPart(actor),
      },
      origin: actor.origin,
      system: { text },
    });
  }

  /** Names and announcements holding one of the administrator's forbidden words are refused. */
  async #assertCleanText(text: { name?: string | undefined; announcement?: string | null | undefined }) {
    await this.#deps.words.refuse(text.name, () => new AppError(ErrorCode.GROUP_NAME_SENSITIVE));
    await this.#deps.words.refuse(
      text.announcement,
      () => new AppError(ErrorCode.GROUP_ANNOUNCEMENT_SENSITIVE),
    );
  }
}
