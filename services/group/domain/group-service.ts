import { randomBytes } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../../platform/config.ts';
import {
  type AdminGroupDetail,
  type AdminGroupSummary,
  type BriefProfile,
  fetchProfiles,
  type GroupBrief,
  type GroupChangedEvent,
  type GroupRole,
  type GroupSendContext,
  type GroupStats,
  GroupTopics,
  SYSTEM_SENDER,
  type SystemMessageRequest,
  SystemMessageTopic,
  timelineAppend,
} from '../../platform/contracts/index.ts';
import { containingPattern, countedPage, SyncClock, syncPage } from '../../platform/db/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import { isIdInRange, type SnowflakeGenerator } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import type { SensitiveWords } from '../../platform/moderation/index.ts';
import { type Outbox, transactionalWithOutbox } from '../../platform/outbox.ts';
import type { InvokePort, StateStore } from '../../platform/ports/index.ts';
import {
  Group,
  GroupInvitation,
  GroupJoinRequest,
  GroupMember,
  GroupStatus,
  JoinRequestStatus,
  type LeaveReason,
  MemberStatus,
} from '../entities.ts';
import { type AddFailure, type Admission, admit, mayInvite } from './admission.ts';
import { GroupEvents } from './events.ts';
import { GroupInvitations } from './invitations.ts';
import { fitNotice, nameList } from './notice-text.ts';

/** Membership that counts on the message path: active, or ended only by the group's dismissal. */
const stillIn = (alias: string) =>
  `(${alias}."status" = 1 or (g."status" = ${GroupStatus.DISMISSED} and ${alias}."left_reason" = 'dismissed'))`;

export type { AddFailure } from './admission.ts';
export { GroupEvents };

export const SETTING_KEYS = [
  'allMuted',
  'memberInvite',
  'joinVerify',
  'historyVisible',
  'memberAddFriend',
] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];
export type GroupSettings = Record<SettingKey, boolean>;

/** Where this service keeps its users' sync clocks. */
const SYNC_CLOCKS = '"group"."sync_versions"';
/** QR records outlive their validity by a week, so an old code answers "expired" rather than vanishing. */
const QR_GRACE_SECONDS = 7 * 86_400;
const ROLE_RANK: Record<GroupRole, number> = { owner: 0, admin: 1, member: 2 };

/** The device that made a change: it already knows, so it learns of it through sync only. */
export interface Origin {
  userId: string;
  deviceId: string;
}

export interface GroupServiceDeps {
  orm: MikroORM;
  invoke: InvokePort;
  ids: SnowflakeGenerator;
  logger: Logger;
  outbox: Outbox;
  /** This service's state store (QR codes). */
  store: StateStore;
  limits: Config['group'];
  publicUrl: () => string;
  /** The administrator's forbidden words: group names and announcements holding one are refused. */
  words: SensitiveWords;
  /** MESSAGE_ALLOW_STRANGERS: whether a stranger may be put into a group without accepting an invitation. */
  allowStrangers: boolean;
}

/**
 * Who made a change, as notices tell it: a member (their device learns of it through sync only),
 * or the platform administrator (`by` is SYSTEM_SENDER and the payload says `byAdministrator`).
 */
interface Actor {
  by: string;
  origin?: Origin;
  byAdministrator?: boolean;
  reason?: string | undefined;
}

const ADMINISTRATOR: Actor = { by: SYSTEM_SENDER, byAdministrator: true };

/** How users come into a group, as the notices tell it. */
export interface AddHow {
  origin: Origin;
  via: 'invite' | 'request' | 'qrcode' | 'invitation';
  /** The system message's text. */
  text: string;
  inviterId?: string;
  profiles: Map<string, BriefProfile>;
}

/** Who a create or invite call added, who it invited (they accept or decline), who neither. */
export interface AddOutcome {
  successIds: string[];
  invitedIds: string[];
  failures: AddFailure[];
}

export interface Membership {
  role: GroupRole;
  groupNickname: string | null;
  mutedUntil: Date | null;
  joinedAt: Date;
}

export interface GroupView {
  group: Group;
  maxMembers: number;
  /** The viewer's membership; null for a non-member (who sees the public part only). */
  me: Membership | null;
}

export type GroupChange =
  | ({ gone: false; version: number } & GroupView)
  | { gone: true; groupId: string; reason: LeaveReason; version: number };

export interface GroupPage {
  groups: GroupChange[];
  total: number;
  updateTime: number;
  hasMore: boolean;
}

export interface MemberView {
  userId: string;
  profile: BriefProfile | undefined;
  role: GroupRole;
  groupNickname: string | null;
  mutedUntil: Date | null;
  joinedAt: Date;
}

export interface JoinRequestView {
  request: GroupJoinRequest;
  applicant: BriefProfile | undefined;
}

export interface JoinOutcome {
  status: 'pending' | 'joined';
  requestId: string | null;
  groupId: string;
}

export interface QrCode {
  code: string;
  url: string;
  expiresAt: string;
}

interface QrRecord {
  groupId: string;
  expiresAt: string;
  revoked?: boolean;
}

interface EmitOptions {
  kind: string;
  groupId: string;
  /** Timeline recipients. */
  recipients: string[];
  payload: Record<string, unknown>;
  origin?: Origin | undefined;
  /** A system message in the group conversation; omitted for events that are not posted there. */
  system?: { text: string; recipients?: string[] };
  /** Publish `group.changed` (default true). */
  changed?: boolean;
}

export interface WriteContext {
  tx: EntityManager;
  now: Date;
  /** Moves the group-list rows of these users for this group to new sync versions; once per transaction. */
  touch(groupId: string, userIds: string[]): Promise<void>;
  emit(options: EmitOptions): void;
}

/** A group read under its row lock, with its active members. */
export interface Locked {
  group: Group;
  members: GroupMember[];
  me: GroupMember | undefined;
}

interface ListRow {
  group_id: string;
  role: GroupRole;
  group_nickname: string | null;
  muted_until: Date | string | null;
  member_status: number;
  left_reason: LeaveReason | null;
  row_version: string;
  joined_at: Date | string;
  name: string;
  avatar: string | null;
  announcement: string | null;
  announcement_by: string | null;
  announcement_at: Date | string | null;
  owner_id: string;
  member_count: number;
  all_muted: boolean;
  join_verify: boolean;
  member_invite: boolean;
  history_visible: boolean;
  member_add_friend: boolean;
  group_status: number;
  created_at: Date | string;
  updated_at: Date | string;
  dismissed_at: Date | string | null;
}

interface GroupSummaryRow {
  id: string;
  name: string;
  owner_id: string;
  member_count: number;
  status: number;
  created_at: Date | string;
}

const GROUP_SUMMARY_COLUMNS = `g."id"::text as "id", g."name", g."owner_id"::text as "owner_id", g."member_count", g."status", g."created_at"`;

const summaryOf = (row: GroupSummaryRow): AdminGroupSummary => ({
  groupId: row.id,
  name: row.name,
  ownerId: row.owner_id,
  memberCount: Number(row.member_count),
  dismissed: row.status === GroupStatus.DISMISSED,
  createdAt: new Date(row.created_at).toISOString(),
});

const date = (value: Date | string) => new Date(value);
const dateOrNull = (value: Date | string | null | undefined) => (value ? new Date(value) : null);

export class GroupService {
  readonly #deps: GroupServiceDeps;
  /** Invitations of users who may not be added directly: issued here, answered by the invitee there. */
  readonly invitations: GroupInvitations;

  constructor(deps: GroupServiceDeps) {
    this.#deps = deps;
    this.invitations = new GroupInvitations({
      orm: deps.orm,
      ids: deps.ids,
      ttlSeconds: deps.limits.invitationTtlSeconds,
      write: (work) => this.#write(work),
      lock: (w, groupId, userId) => this.#lock(w, groupId, userId),
      addMembers: (w, { group, members }, userIds, how) => this.#addMembers(w, group, members, userIds, how),
      profiles: (userIds) => this.#profiles(userIds),
    });
  }

  // ---- groups ---------------------------------------------------------------------------------

  /**
   * Creates a group owned by the caller with at least two other members (or invitees). The
   * creator's friends join at once (as their "who may add me" setting allows); others get an
   * invitation. Users who do not exist or who blacklisted the creator are left out and reported.
   */
  async create(
    origin: Origin,
    input: { name: string; avatar: string | null; memberIds: string[] },
  ): Promise<AddOutcome & { view: GroupView }> {
    const ownerId = origin.userId;
    const candidates = [...new Set(input.memberIds)].filter((id) => id !== ownerId);
    if (candidates.length < 2)
      throw new AppError(ErrorCode.GROUP_TOO_FEW_MEMBERS, {
        detail: 'a group needs at least 2 members besides its owner',
      });
    const max = this.#deps.limits.maxMembers;
    if (candidates.length + 1 > max)
      throw new AppError(ErrorCode.GROUP_FULL, { detail: `at most ${max} members` });
    await this.#assertCleanText({ name: input.name });
    const profiles = await this.#profiles([ownerId, ...candidates]);
    const { direct: accepted, invited, failures } = await this.#admit(ownerId, candidates, profiles);
    if (accepted.length + invited.length < 2)
      throw new AppError(ErrorCode.GROUP_TOO_FEW_MEMBERS, {
        detail: `only ${accepted.length + invited.length} of the users can join or be invited`,
        data: { failedIds: failures.map((f) => f.userId), failures },
      });
    const view = await this.#write(async (w) => {
      const group = w.tx.create(Group, {
        id: this.#deps.ids.next(),
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
      await w.tx.flush();
      await this.#insertMembers(w, group.id, [ownerId], 'owner');
      await this.#insertMembers(w, group.id, accepted, 'member');
      const memberIds = [ownerId, ...accepted];
      await w.touch(group.id, memberIds);
      w.emit({
        kind: GroupEvents.created,
        groupId: group.id,
        recipients: memberIds,
        payload: { ...this.#briefPayload(group), ownerId, memberIds },
        origin,
        system: {
          text: `${this.#name(profiles, ownerId)} created the group${
            accepted.length > 0 ? ` and invited ${this.#nameList(profiles, accepted)}` : ''
          }`,
        },
      });
      await this.invitations.issue(w, group, ownerId, invited, profiles);
      return {
        group,
        maxMembers: max,
        me: { role: 'owner' as const, groupNickname: null, mutedUntil: null, joinedAt: w.now },
      };
    });
    return { view, successIds: accepted, invitedIds: invited, failures };
  }

  /** A group as the viewer may see it: members see everything, others the public part. */
  async info(userId: string, groupId: string): Promise<GroupView> {
    const em = this.#deps.orm.em.fork();
    const group = await em.findOne(Group, { id: groupId });
    if (!group) throw new AppError(ErrorCode.GROUP_NOT_FOUND);
    const me = await em.findOne(GroupMember, { groupId, userId, status: MemberStatus.ACTIVE });
    return { group, maxMembers: this.#deps.limits.maxMembers, me: me ? this.#membership(me) : null };
  }

  /** Changes name, avatar or announcement (owner and admins). */
  async update(
    origin: Origin,
    groupId: string,
    changes: {
      name?: string | undefined;
      avatar?: string | null | undefined;
      announcement?: string | null | undefined;
    },
  ): Promise<GroupView> {
    await this.#assertCleanText(changes);
    const names = await this.#names([origin.userId]);
    return this.#write(async (w) => {
      const { group, members, me } = await this.#lock(w, groupId, origin.userId);
      this.#requireAdmin(me);
      const memberIds = members.map((m) => m.userId);
      const actor = this.#name(names, origin.userId);
      const changed: string[] = [];
      if (changes.name !== undefined && changes.name !== group.name) {
        group.name = changes.name;
        changed.push('name');
      }
      if (changes.avatar !== undefined && changes.avatar !== (group.avatar ?? null)) {
        group.avatar = changes.avatar;
        changed.push('avatar');
      }
      const announcementChanged =
        changes.announcement !== undefined && changes.announcement !== (group.announcement ?? null);
      if (changed.length === 0 && !announcementChanged) return this.#viewOf(group, me!);
      group.updatedAt = w.now;
      if (changed.length > 0)
        w.emit({
          kind: GroupEvents.updated,
          groupId,
          recipients: memberIds,
          payload: { groupId, changed, ...this.#briefPayload(group), updatedBy: origin.userId },
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
      return this.#viewOf(group, me!);
    });
  }

  /** Changes the group's settings (owner and admins). */
  async updateSettings(origin: Origin, groupId: string, changes: Partial<GroupSettings>): Promise<GroupView> {
    const names = await this.#names([origin.userId]);
    return this.#write(async (w) => {
      const { group, members, me } = await this.#lock(w, groupId, origin.userId);
      this.#requireAdmin(me);
      const changed = SETTING_KEYS.filter((key) => changes[key] !== undefined && changes[key] !== group[key]);
      if (changed.length === 0) return this.#viewOf(group, me!);
      for (const key of changed) group[key] = changes[key]!;
      group.updatedAt = w.now;
      const memberIds = members.map((m) => m.userId);
      const actor = this.#name(names, origin.userId);
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
          payload: { groupId, changed: others, settings: this.#settingsOf(group), updatedBy: origin.userId },
          origin,
          system: {
            text: `${actor} changed the group settings: ${others
              .map((key) => `${key} ${group[key] ? 'on' : 'off'}`)
              .join(', ')}`,
          },
        });
      await w.touch(groupId, memberIds);
      return this.#viewOf(group, me!);
    });
  }

  /** Dismisses the group (owner only): every member is out, and it changes no more. */
  async dismiss(origin: Origin, groupId: string): Promise<void> {
    const names = await this.#names([origin.userId]);
    await this.#write(async (w) => {
      const locked = await this.#lock(w, groupId, origin.userId);
      this.#requireOwner(locked.me);
      await this.#dismissLocked(
        w,
        locked,
        { by: origin.userId, origin },
        `${this.#name(names, origin.userId)} dismissed the group`,
      );
    });
  }

  /** The platform administrator dismisses a group: members are told as when the owner does it. */
  async dismissByAdministrator(groupId: string, reason: string | undefined): Promise<void> {
    await this.#write(async (w) => {
      const locked = await this.#lock(w, groupId, SYSTEM_SENDER);
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
        ...this.#byAdministrator(actor),
      },
      origin: actor.origin,
      system: { text },
    });
  }

  /**
   * Without `since`: a page of my groups. With `since`: what changed in my list after that cursor,
   * groups I left, was removed from or that were dismissed included.
   */
  async listMine(
    userId: string,
    options: { since?: number | undefined; page: number; pageSize: number },
  ): Promise<GroupPage> {
    const em = this.#deps.orm.em.fork();
    const incremental = options.since !== undefined;
    const columns = `m."group_id", m."role", m."group_nickname", m."muted_until", m."status" as "member_status",
      m."left_reason", m."version" as "row_version", m."joined_at", g."name", g."avatar", g."announcement",
      g."announcement_by", g."announcement_at", g."owner_id", g."member_count", g."all_muted", g."join_verify",
      g."member_invite", g."history_visible", g."member_add_friend", g."status" as "group_status",
      g."created_at", g."updated_at", g."dismissed_at"`;
    const from = `"group"."group_members" m join "group"."groups" g on g."id" = m."group_id"`;
    const page = incremental
      ? {
          sql: `select ${columns} from ${from} where m."user_id" = ? and m."version" > ? order by m."version" limit ?`,
          params: [userId, options.since, options.pageSize + 1],
        }
      : {
          sql: `select ${columns} from ${from} where m."user_id" = ? and m."status" = 1
                order by m."group_id" limit ? offset ?`,
          params: [userId, options.pageSize, (options.page - 1) * options.pageSize],
        };
    // One statement, one snapshot: the cursor is the largest version this page could have seen.
    const rows = await em.execute<Array<ListRow & { cursor: string | null; total: string }>>(
      `select s."cursor", s."total", r.* from (select
         (select max("version") from "group"."group_members" where "user_id" = ?) as "cursor",
         (select count(*) from "group"."group_members" where "user_id" = ? and "status" = 1) as "total"
       ) s left join lateral (${page.sql}) r on true`,
      [userId, userId, ...page.params],
    );
    const found = rows.filter((row) => row.group_id !== null);
    const { rows: shown, ...result } = syncPage(rows[0]!, found, { ...options, incremental });
    return { groups: shown.map((row) => this.#changeOf(row)), ...result };
  }

  // ---- members --------------------------------------------------------------------------------

  /** Members (owner first, then admins, then by joining time); members only. */
  async members(
    userId: string,
    groupId: string,
    options: { keyword?: string | undefined; page: number; pageSize: number },
  ): Promise<{ total: number; members: MemberView[] }> {
    const em = this.#deps.orm.em.fork();
    const group = await em.findOne(Group, { id: groupId });
    if (!group) throw new AppError(ErrorCode.GROUP_NOT_FOUND);
    if (group.status === GroupStatus.DISMISSED) throw new AppError(ErrorCode.GROUP_DISMISSED);
    if (!(await em.count(GroupMember, { groupId, userId, status: MemberStatus.ACTIVE })))
      throw new AppError(ErrorCode.GROUP_NOT_MEMBER);
    const order = (rows: GroupMember[]) =>
      rows.sort(
        (a, b) =>
          ROLE_RANK[a.role] - ROLE_RANK[b.role] ||
          a.joinedAt.getTime() - b.joinedAt.getTime() ||
          (BigInt(a.userId) < BigInt(b.userId) ? -1 : 1),
      );
    const offset = (options.page - 1) * options.pageSize;
    const keyword = options.keyword?.toLowerCase();
    if (!keyword) {
      const rows = await em.execute<
        Array<{
          user_id: string;
          role: GroupRole;
          group_nickname: string | null;
          muted_until: Date | string | null;
          joined_at: Date | string;
          total: string;
        }>
      >(
        `select "user_id", "role", "group_nickname", "muted_until", "joined_at", count(*) over () as "total"
         from "group"."group_members" where "group_id" = ? and "status" = 1
         order by case "role" when 'owner' then 0 when 'admin' then 1 else 2 end, "joined_at", "user_id"
         limit ? offset ?`,
        [groupId, options.pageSize, offset],
      );
      const total =
        rows.length > 0
          ? Number(rows[0]!.total)
          : await em.count(GroupMember, { groupId, status: MemberStatus.ACTIVE });
      const profiles = await this.#profiles(rows.map((row) => String(row.user_id)));
      return {
        total,
        members: rows.map((row) => ({
          userId: String(row.user_id),
          profile: profiles.get(String(row.user_id)),
          role: row.role,
          groupNickname: row.group_nickname,
          mutedUntil: dateOrNull(row.muted_until),
          joinedAt: date(row.joined_at),
        })),
      };
    }
    // Nicknames live in the user service: a search looks at every member (a group is at most a few hundred).
    const rows = order(await em.find(GroupMember, { groupId, status: MemberStatus.ACTIVE }));
    const profiles = await this.#profiles(rows.map((row) => row.userId));
    const matching = rows.filter((row) =>
      [row.groupNickname, profiles.get(row.userId)?.nickname, row.userId].some((text) =>
        text?.toLowerCase().includes(keyword),
      ),
    );
    return {
      total: matching.length,
      members: matching
        .slice(offset, offset + options.pageSize)
        .map((row) => this.#memberView(row, profiles)),
    };
  }

  /**
   * Adds users to the group, or invites those who may not be added directly (they accept or
   * decline). Plain members may invite only while member invites are on. Users who do not exist,
   * blacklisted the inviter or are members already are reported, neither added nor invited.
   */
  async invite(
    origin: Origin,
    groupId: string,
    userIds: string[],
  ): Promise<AddOutcome & { memberCount: number }> {
    const inviterId = origin.userId;
    // Permission first, before other users are looked at.
    const seen = await this.info(inviterId, groupId);
    this.#assertActive(seen.group);
    this.#requireInviter(seen.group, seen.me);
    const candidates = [...new Set(userIds)].filter((id) => id !== inviterId);
    const profiles = await this.#profiles([inviterId, ...candidates]);
    const admission = await this.#admit(inviterId, candidates, profiles);
    return this.#write(async (w) => {
      const { group, members, me } = await this.#lock(w, groupId, inviterId);
      this.#requireInviter(group, me ? this.#membership(me) : null);
      const current = new Set(members.map((m) => m.userId));
      const failures: AddFailure[] = [
        ...candidates
          .filter((id) => current.has(id))
          .map((id) => ({
            userId: id,
            code: ErrorCode.GROUP_ALREADY_MEMBER,
            reason: 'already_member' as const,
          })),
        ...admission.failures.filter((failure) => !current.has(failure.userId)),
      ];
      const added = admission.direct.filter((id) => !current.has(id));
      const invited = admission.invited.filter((id) => !current.has(id));
      const max = this.#deps.limits.maxMembers;
      if (members.length + added.length + invited.length > max)
        throw new AppError(ErrorCode.GROUP_FULL, {
          detail: `at most ${max} members; ${Math.max(0, max - members.length)} more can join`,
        });
      if (added.length > 0)
        await this.#addMembers(w, group, members, added, {
          origin,
          via: 'invite',
          text: `${this.#name(profiles, inviterId)} invited ${this.#nameList(profiles, added)}`,
          inviterId,
          profiles,
        });
      await this.invitations.issue(w, group, inviterId, invited, profiles);
      return { successIds: added, invitedIds: invited, failures, memberCount: group.memberCount };
    });
  }

  /** Leaves the group; the owner must transfer it first. */
  async exit(origin: Origin, groupId: string): Promise<void> {
    const names = await this.#names([origin.userId]);
    await this.#write(async (w) => {
      const { group, members, me } = await this.#lock(w, groupId, origin.userId);
      if (!me) throw new AppError(ErrorCode.GROUP_NOT_MEMBER);
      if (me.role === 'owner')
        throw new AppError(ErrorCode.GROUP_OWNER_CANNOT_EXIT, { detail: 'transfer the group first' });
      await this.#drop(w, group, members, me, 'left');
      const remaining = members.filter((m) => m.userId !== me.userId).map((m) => m.userId);
      w.emit({
        kind: GroupEvents.memberLeft,
        groupId,
        recipients: [...remaining, me.userId],
        payload: { groupId, userId: me.userId, memberCount: group.memberCount },
        origin,
        system: { text: `${this.#name(names, me.userId)} left the group`, recipients: remaining },
      });
    });
  }

  /** Removes a member: the owner removes anyone but himself, admins remove plain members only. */
  async removeMember(origin: Origin, groupId: string, targetId: string): Promise<void> {
    const names = await this.#names([origin.userId, targetId]);
    await this.#write(async (w) => {
      const locked = await this.#lock(w, groupId, origin.userId);
      this.#requireAdmin(locked.me);
      const target = this.#target(locked.members, targetId, locked.me!, 'removed');
      await this.#removeLocked(
        w,
        locked,
        target,
        { by: origin.userId, origin },
        `${this.#name(names, origin.userId)} removed ${this.#name(names, targetId)} from the group`,
      );
    });
  }

  /**
   * The platform administrator removes a member, admins included; never the owner (40109: the
   * administrator dismisses the group instead). The members are told as when an admin removes one.
   */
  async removeMemberByAdministrator(groupId: string, targetId: string): Promise<void> {
    const names = await this.#names([targetId]);
    await this.#write(async (w) => {
      const locked = await this.#lock(w, groupId, SYSTEM_SENDER);
      const target = locked.members.find((m) => m.userId === targetId);
      if (!target)
        throw new AppError(ErrorCode.GROUP_NOT_MEMBER, { detail: `user ${targetId} is not a member` });
      if (target.role === 'owner')
        throw new AppError(ErrorCode.GROUP_CANNOT_REMOVE_OWNER, {
          detail: 'the owner cannot be removed; dismiss the group instead',
        });
      await this.#removeLocked(
        w,
        locked,
        target,
        ADMINISTRATOR,
        `The platform administrator removed ${this.#name(names, targetId)} from the group`,
      );
    });
  }

  async #removeLocked(
    w: WriteContext,
    { group, members }: Locked,
    target: GroupMember,
    actor: Actor,
    text: string,
  ): Promise<void> {
    await this.#drop(w, group, members, target, 'removed');
    w.emit({
      kind: GroupEvents.memberRemoved,
      groupId: group.id,
      recipients: members.map((m) => m.userId),
      payload: {
        groupId: group.id,
        userId: target.userId,
        removedBy: actor.by,
        memberCount: group.memberCount,
        ...this.#byAdministrator(actor),
      },
      origin: actor.origin,
      system: { text },
    });
  }

  /** Hands the group to another member (owner only); the former owner stays as a plain member. */
  async transfer(origin: Origin, groupId: string, targetId: string): Promise<void> {
    if (targetId === origin.userId)
      throw new AppError(ErrorCode.INVALID_PARAMS, { detail: 'you already own the group' });
    const names = await this.#names([origin.userId, targetId]);
    await this.#write(async (w) => {
      const { group, members, me } = await this.#lock(w, groupId, origin.userId);
      this.#requireOwner(me);
      const target = members.find((m) => m.userId === targetId);
      if (!target)
        throw new AppError(ErrorCode.GROUP_NOT_MEMBER, { detail: `user ${targetId} is not a member` });
      Object.assign(me!, { role: 'member', updatedAt: w.now });
      Object.assign(target, { role: 'owner', mutedUntil: null, updatedAt: w.now });
      Object.assign(group, { ownerId: targetId, updatedAt: w.now });
      const memberIds = members.map((m) => m.userId);
      await w.touch(groupId, memberIds);
      w.emit({
        kind: GroupEvents.ownerTransferred,
        groupId,
        recipients: memberIds,
        payload: { groupId, fromUserId: origin.userId, toUserId: targetId },
        origin,
        system: {
          text: `${this.#name(names, origin.userId)} made ${this.#name(names, targetId)} the group owner`,
        },
      });
    });
  }

  /** Makes a member an admin or a plain member again (owner only). */
  async setAdmin(origin: Origin, groupId: string, targetId: string, isAdmin: boolean): Promise<void> {
    const names = await this.#names([origin.userId, targetId]);
    await this.#write(async (w) => {
      const { members, me } = await this.#lock(w, groupId, origin.userId);
      this.#requireOwner(me);
      const target = members.find((m) => m.userId === targetId);
      if (!target)
        throw new AppError(ErrorCode.GROUP_NOT_MEMBER, { detail: `user ${targetId} is not a member` });
      if (target.role === 'owner')
        throw new AppError(ErrorCode.INVALID_PARAMS, { detail: 'the owner is not made or unmade an admin' });
      const role = isAdmin ? 'admin' : 'member';
      if (target.role === role) return;
      Object.assign(target, { role, updatedAt: w.now }, isAdmin ? { mutedUntil: null } : {});
      await w.touch(groupId, [targetId]);
      w.emit({
        kind: GroupEvents.adminChanged,
        groupId,
        recipients: members.map((m) => m.userId),
        payload: { groupId, userId: targetId, isAdmin, changedBy: origin.userId },
        origin,
        system: {
          text: isAdmin
            ? `${this.#name(names, targetId)} is now a group admin`
            : `${this.#name(names, targetId)} is no longer a group admin`,
        },
      });
    });
  }

  /** Mutes a member for `seconds` (0 lifts it): the owner mutes anyone else, admins plain members. */
  async muteMember(
    origin: Origin,
    groupId: string,
    targetId: string | null,
    seconds: number,
  ): Promise<{ userId: string; mutedUntil: Date | null }> {
    const names = await this.#names(targetId ? [origin.userId, targetId] : [origin.userId]);
    return this.#write(async (w) => {
      const { members, me } = await this.#lock(w, groupId, origin.userId);
      this.#requireAdmin(me);
      const target = this.#target(members, targetId, me!, 'muted');
      const userId = target.userId;
      const mutedUntil = seconds > 0 ? new Date(w.now.getTime() + seconds * 1000) : null;
      Object.assign(target, { mutedUntil, updatedAt: w.now });
      await w.touch(groupId, [userId]);
      w.emit({
        kind: GroupEvents.memberMuted,
        groupId,
        recipients: members.map((m) => m.userId),
        payload: {
          groupId,
          userId,
          seconds,
          mutedUntil: mutedUntil?.toISOString() ?? null,
          mutedBy: origin.userId,
        },
        origin,
        system: {
          text: mutedUntil
            ? `${this.#name(names, origin.userId)} muted ${this.#name(names, userId)} for ${seconds} s`
            : `${this.#name(names, origin.userId)} unmuted ${this.#name(names, userId)}`,
        },
      });
      return { userId, mutedUntil };
    });
  }

  /** My nickname in this group (null clears it). */
  async setNickname(origin: Origin, groupId: string, nickname: string | null): Promise<GroupView> {
    return this.#write(async (w) => {
      const { group, members, me } = await this.#lock(w, groupId, origin.userId);
      if (!me) throw new AppError(ErrorCode.GROUP_NOT_MEMBER);
      if ((me.groupNickname ?? null) !== nickname) {
        Object.assign(me, { groupNickname: nickname, updatedAt: w.now });
        await w.touch(groupId, [me.userId]);
        w.emit({
          kind: GroupEvents.memberUpdated,
          groupId,
          recipients: members.map((m) => m.userId),
          payload: { groupId, userId: me.userId, groupNickname: nickname },
          origin,
        });
      }
      return this.#viewOf(group, me);
    });
  }

  // ---- joining --------------------------------------------------------------------------------

  /** Asks to join: a pending request while join verification is on, membership at once otherwise. */
  async join(
    origin: Origin,
    groupId: string,
    message: string | null,
    source: 'request' | 'qrcode' = 'request',
  ): Promise<JoinOutcome> {
    const userId = origin.userId;
    const profiles = await this.#profiles([userId]);
    return this.#write(async (w) => {
      const { group, members, me } = await this.#lock(w, groupId, userId);
      if (me) throw new AppError(ErrorCode.GROUP_ALREADY_MEMBER);
      if (!group.joinVerify) {
        await this.#addMembers(w, group, members, [userId], {
          origin,
          via: source,
          text: `${this.#name(profiles, userId)} joined the group`,
          profiles,
        });
        return { status: 'joined' as const, requestId: null, groupId };
      }
      const pending = await w.tx.findOne(GroupJoinRequest, {
        groupId,
        userId,
        status: JoinRequestStatus.PENDING,
      });
      const request =
        pending ??
        w.tx.create(GroupJoinRequest, {
          id: this.#deps.ids.next(),
          groupId,
          userId,
          message,
          source,
          status: JoinRequestStatus.PENDING,
          handledBy: null,
          createdAt: w.now,
          updatedAt: w.now,
          handledAt: null,
        });
      // Asking again refreshes the request rather than piling up new ones.
      if (pending) Object.assign(pending, { message, source, updatedAt: w.now });
      w.emit({
        kind: GroupEvents.joinRequested,
        groupId,
        recipients: this.#admins(members),
        payload: {
          groupId,
          requestId: request.id,
          userId,
          user: profiles.get(userId) ?? null,
          message,
          source,
          createdAt: request.createdAt.toISOString(),
        },
        changed: false,
      });
      return { status: 'pending' as const, requestId: request.id, groupId };
    });
  }

  /** Pending join requests, newest first (owner and admins). */
  async joinRequests(
    userId: string,
    groupId: string,
    page: number,
    pageSize: number,
  ): Promise<{ total: number; requests: JoinRequestView[] }> {
    const em = this.#deps.orm.em.fork();
    const seen = await this.info(userId, groupId);
    this.#assertActive(seen.group);
    this.#requireAdmin(seen.me);
    const [requests, total] = await em.findAndCount(
      GroupJoinRequest,
      { groupId, status: JoinRequestStatus.PENDING },
      { orderBy: { updatedAt: 'desc', id: 'desc' }, limit: pageSize, offset: (page - 1) * pageSize },
    );
    const profiles = await this.#profiles(requests.map((r) => r.userId));
    return {
      total,
      requests: requests.map((request) => ({ request, applicant: profiles.get(request.userId) })),
    };
  }

  /** Accepts or rejects a join request (owner and admins). */
  async handleJoin(
    origin: Origin,
    groupId: string,
    requestId: string | null,
    action: 'accept' | 'reject',
  ): Promise<{ requestId: string; status: 'accepted' | 'rejected' }> {
    const found =
      requestId === null
        ? null
        : await this.#deps.orm.em.fork().findOne(GroupJoinRequest, { id: requestId, groupId });
    const profiles = await this.#profiles(found ? [origin.userId, found.userId] : [origin.userId]);
    return this.#write(async (w) => {
      const { group, members, me } = await this.#lock(w, groupId, origin.userId);
      this.#requireAdmin(me);
      const request = found ? await w.tx.findOne(GroupJoinRequest, { id: found.id, groupId }) : null;
      if (!request) throw new AppError(ErrorCode.GROUP_JOIN_REQUEST_NOT_FOUND);
      if (request.status !== JoinRequestStatus.PENDING)
        throw new AppError(ErrorCode.GROUP_JOIN_REQUEST_HANDLED, { detail: `request is ${request.status}` });
      const status = action === 'accept' ? JoinRequestStatus.ACCEPTED : JoinRequestStatus.REJECTED;
      const applicant = request.userId;
      if (action === 'accept' && !members.some((m) => m.userId === applicant))
        await this.#addMembers(w, group, members, [applicant], {
          origin,
          via: request.source === 'qrcode' ? 'qrcode' : 'request',
          text: `${this.#name(profiles, origin.userId)} approved ${this.#name(profiles, applicant)} to join the group`,
          profiles,
        });
      Object.assign(request, { status, handledBy: origin.userId, handledAt: w.now, updatedAt: w.now });
      w.emit({
        kind: GroupEvents.joinHandled,
        groupId,
        recipients: [applicant, ...this.#admins(members)],
        payload: {
          groupId,
          requestId: request.id,
          userId: applicant,
          status,
          handledBy: origin.userId,
          handledAt: w.now.toISOString(),
        },
        origin,
        changed: false,
      });
      return { requestId: request.id, status };
    });
  }

  // ---- QR codes -------------------------------------------------------------------------------

  /** The group's current QR code, or a new one when there is none or `refresh` is asked. */
  async qrcode(userId: string, groupId: string, refresh: boolean): Promise<QrCode> {
    const seen = await this.info(userId, groupId);
    this.#assertActive(seen.group);
    this.#requireInviter(seen.group, seen.me);
    const store = this.#deps.store;
    const current = await store.get<{ code: string }>(`qrcode-of:${groupId}`);
    if (current && !refresh) {
      const record = await store.get<QrRecord>(`qrcode:${current.value.code}`);
      if (record && !record.value.revoked && Date.parse(record.value.expiresAt) > Date.now())
        return {
          code: current.value.code,
          url: this.#qrUrl(current.value.code),
          expiresAt: record.value.expiresAt,
        };
    }
    const code = randomBytes(18).toString('base64url');
    const ttl = this.#deps.limits.qrcodeTtlSeconds;
    const expiresAt = new Date(Date.now() + ttl * 1000).toISOString();
    const ttlInSeconds = ttl + QR_GRACE_SECONDS;
    await store.transact([
      ...(current
        ? [
            {
              operation: 'upsert' as const,
              key: `qrcode:${current.value.code}`,
              value: { groupId, expiresAt, revoked: true } satisfies QrRecord,
              ttlInSeconds,
            },
          ]
        : []),
      {
        operation: 'upsert',
        key: `qrcode:${code}`,
        value: { groupId, expiresAt } satisfies QrRecord,
        ttlInSeconds,
      },
      { operation: 'upsert', key: `qrcode-of:${groupId}`, value: { code }, ttlInSeconds },
    ]);
    return { code, url: this.#qrUrl(code), expiresAt };
  }

  /** What a scanned group QR code shows before joining: the group's public part. */
  async resolveQrcode(userId: string, code: string): Promise<GroupView> {
    const record = await this.#deps.store.get<QrRecord>(`qrcode:${code}`);
    if (!record || record.value.revoked || Date.parse(record.value.expiresAt) <= Date.now())
      throw new AppError(ErrorCode.GROUP_QRCODE_EXPIRED);
    const view = await this.info(userId, record.value.groupId);
    this.#assertActive(view.group);
    return view;
  }

  /** Joins through a group QR code; join verification applies as to any other request. */
  async joinByQrcode(origin: Origin, code: string, message: string | null): Promise<JoinOutcome> {
    const record = await this.#deps.store.get<QrRecord>(`qrcode:${code}`);
    if (!record || record.value.revoked || Date.parse(record.value.expiresAt) <= Date.now())
      throw new AppError(ErrorCode.GROUP_QRCODE_EXPIRED);
    return this.join(origin, record.value.groupId, message, 'qrcode');
  }

  // ---- internal -------------------------------------------------------------------------------

  /** What the message path needs to accept a group message: one statement. */
  /**
   * The message path's view of a group. The members of a dismissed group stay its members here, so
   * that its conversation remains readable; sending is refused by the dismissed flag.
   */
  async sendContext(groupId: string, userId: string): Promise<GroupSendContext> {
    const [row] = await this.#deps.orm.em.fork().execute<
      Array<{
        status: number;
        all_muted: boolean;
        history_visible: boolean;
        role: GroupRole | null;
        muted_until: Date | string | null;
        joined_at: Date | string | null;
        member_ids: string[] | string;
      }>
    >(
      `select g."status", g."all_muted", g."history_visible", m."role", m."muted_until", m."joined_at",
         (select coalesce(json_agg(a."user_id"::text order by a."user_id"), '[]'::json)
            from "group"."group_members" a where a."group_id" = g."id" and ${stillIn('a')}) as "member_ids"
       from "group"."groups" g
       left join "group"."group_members" m on m."group_id" = g."id" and m."user_id" = ? and ${stillIn('m')}
       where g."id" = ?`,
      [userId, groupId],
    );
    if (!row)
      return {
        groupId,
        exists: false,
        dismissed: false,
        allMuted: false,
        historyVisible: false,
        member: null,
        memberIds: [],
      };
    const memberIds =
      typeof row.member_ids === 'string' ? (JSON.parse(row.member_ids) as string[]) : row.member_ids;
    return {
      groupId,
      exists: true,
      dismissed: row.status === GroupStatus.DISMISSED,
      allMuted: row.all_muted,
      historyVisible: row.history_visible,
      member:
        row.role === null
          ? null
          : {
              role: row.role,
              mutedUntil: dateOrNull(row.muted_until)?.toISOString() ?? null,
              joinedAt: date(row.joined_at!).toISOString(),
            },
      memberIds,
    };
  }

  async briefs(groupIds: string[]): Promise<GroupBrief[]> {
    if (groupIds.length === 0) return [];
    const groups = await this.#deps.orm.em.fork().find(Group, { id: { $in: [...new Set(groupIds)] } });
    return groups.map((group) => ({
      groupId: group.id,
      name: group.name,
      avatar: group.avatar ?? null,
      memberCount: group.memberCount,
      dismissed: group.status === GroupStatus.DISMISSED,
    }));
  }

  // ---- administration -------------------------------------------------------------------------

  /** Groups newest first, dismissed ones included; `keyword` matches the name (substring) or the id. */
  async adminList(query: {
    keyword?: string | undefined;
    offset: number;
    limit: number;
  }): Promise<{ total: number; items: AdminGroupSummary[] }> {
    const keyword = query.keyword?.trim();
    const params: unknown[] = [];
    let where = '';
    if (keyword) {
      // Digits past bigint's range are no id: they match names only.
      const isId = isIdInRange(keyword);
      where = `where g."name" ilike ? escape '\\'${isId ? ' or g."id" = ?' : ''}`;
      params.push(containingPattern(keyword), ...(isId ? [keyword] : []));
    }
    const { total, rows } = await countedPage<GroupSummaryRow>(this.#deps.orm.em.fork(), {
      select: GROUP_SUMMARY_COLUMNS,
      from: `from "group"."groups" g ${where}`,
      orderBy: 'g."created_at" desc, g."id" desc',
      params,
      limit: query.limit,
      offset: query.offset,
    });
    return { total, items: rows.map(summaryOf) };
  }

  /** A group with its members (a dismissed group: those it had when dismissed); 40101 when unknown. */
  async adminDetail(groupId: string): Promise<AdminGroupDetail> {
    const em = this.#deps.orm.em.fork();
    const [rows, members] = await Promise.all([
      em.execute<Array<GroupSummaryRow & { announcement: string | null }>>(
        `select ${GROUP_SUMMARY_COLUMNS}, g."announcement" from "group"."groups" g where g."id" = ?`,
        [groupId],
      ),
      em.execute<
        Array<{
          user_id: string;
          role: GroupRole;
          joined_at: Date | string;
          muted_until: Date | string | null;
        }>
      >(
        `select m."user_id"::text as "user_id", m."role", m."joined_at", m."muted_until"
           from "group"."group_members" m join "group"."groups" g on g."id" = m."group_id"
          where m."group_id" = ? and ${stillIn('m')}
          order by case m."role" when 'owner' then 0 when 'admin' then 1 else 2 end, m."joined_at", m."user_id"`,
        [groupId],
      ),
    ]);
    const row = rows[0];
    if (!row) throw new AppError(ErrorCode.GROUP_NOT_FOUND);
    return {
      ...summaryOf(row),
      announcement: row.announcement ?? null,
      members: members.map((m) => ({
        userId: m.user_id,
        role: m.role,
        joinedAt: date(m.joined_at).toISOString(),
        mutedUntil: dateOrNull(m.muted_until)?.toISOString() ?? null,
      })),
    };
  }

  /** All groups, those not dismissed, and those created at or after `since`. */
  async adminStats(since: Date): Promise<GroupStats> {
    const [row] = await this.#deps.orm.em
      .fork()
      .execute<Array<{ total: string | number; active: string | number; new_since: string | number }>>(
        `select count(*) as "total", count(*) filter (where "status" = ?) as "active",
              count(*) filter (where "created_at" >= ?) as "new_since"
         from "group"."groups"`,
        [GroupStatus.ACTIVE, since],
      );
    return {
      total: Number(row?.total ?? 0),
      active: Number(row?.active ?? 0),
      newSince: Number(row?.new_since ?? 0),
    };
  }

  // ---- helpers --------------------------------------------------------------------------------

  /**
   * Runs a change in one transaction. Notifications, system-message requests and cache
   * invalidations go to the outbox in that transaction and are published after it commits.
   */
  async #write<T>(work: (w: WriteContext) => Promise<T>): Promise<T> {
    return transactionalWithOutbox(this.#deps.orm, this.#deps.outbox, async (tx, events) => {
      let clock: SyncClock | undefined;
      const context: WriteContext = {
        tx,
        now: new Date(),
        touch: async (groupId, userIds) => {
          if (clock) throw new Error('group lists are touched once per transaction');
          await tx.flush();
          clock = await SyncClock.lock(tx, SYNC_CLOCKS, userIds);
          const locked = clock;
          const versions = [...new Set(userIds)].map((id) => ({ user_id: id, version: locked.next(id) }));
          await tx.execute(
            `update "group"."group_members" as m set "version" = v."version"
             from jsonb_to_recordset(?::jsonb) as v("user_id" bigint, "version" bigint)
             where m."group_id" = ? and m."user_id" = v."user_id"`,
            [JSON.stringify(versions), groupId],
          );
        },
        emit: (options) => {
          const eventId = this.#deps.ids.next();
          const { kind, recipients, payload, origin } = options;
          events.push(timelineAppend({ eventId, kind, recipients, payload, origin }));
          if (options.system) {
            const request: SystemMessageRequest = {
              eventId,
              groupId: options.groupId,
              recipients: [...new Set(options.system.recipients ?? options.recipients)],
              kind: options.kind,
              text: fitNotice(options.system.text),
              data: options.payload,
            };
            events.push({ topic: SystemMessageTopic, payload: { ...request } });
          }
          if (options.changed !== false) {
            const changed: GroupChangedEvent = { groupId: options.groupId, kind: options.kind };
            events.push({ topic: GroupTopics.changed, payload: { ...changed } });
          }
        },
      };
      const result = await work(context);
      await tx.flush();
      await clock?.save(tx);
      return result;
    });
  }

  /** Reads the group under its row lock (every change of a group holds it), with its active members. */
  async #lock(w: WriteContext, groupId: string, userId: string): Promise<Locked> {
    const group = await w.tx.findOne(Group, { id: groupId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!group) throw new AppError(ErrorCode.GROUP_NOT_FOUND);
    this.#assertActive(group);
    const members = await w.tx.find(
      GroupMember,
      { groupId, status: MemberStatus.ACTIVE },
      { orderBy: { joinedAt: 'asc', userId: 'asc' } },
    );
    return { group, members, me: members.find((m) => m.userId === userId) };
  }

  #assertActive(group: Group): void {
    if (group.status === GroupStatus.DISMISSED) throw new AppError(ErrorCode.GROUP_DISMISSED);
  }

  #requireAdmin(me: Pick<Membership, 'role'> | null | undefined): void {
    if (!me) throw new AppError(ErrorCode.GROUP_NOT_MEMBER);
    if (me.role === 'member') throw new AppError(ErrorCode.GROUP_NOT_ADMIN);
  }

  #requireOwner(me: Pick<Membership, 'role'> | null | undefined): void {
    if (!me) throw new AppError(ErrorCode.GROUP_NOT_MEMBER);
    if (me.role !== 'owner') throw new AppError(ErrorCode.GROUP_NOT_OWNER);
  }

  #requireInviter(group: Group, me: Pick<Membership, 'role'> | null | undefined): void {
    if (!me) throw new AppError(ErrorCode.GROUP_NOT_MEMBER);
    if (!mayInvite(group, me.role))
      throw new AppError(ErrorCode.GROUP_NOT_ADMIN, { detail: 'only the owner and admins may invite' });
  }

  /** The member an owner or admin acts on: never the owner; admins act on plain members only. */
  #target(
    members: GroupMember[],
    targetId: string | null,
    me: GroupMember,
    what: 'removed' | 'muted',
  ): GroupMember {
    const target = members.find((m) => m.userId === targetId);
    if (target?.role === 'owner')
      throw new AppError(ErrorCode.GROUP_CANNOT_REMOVE_OWNER, { detail: `the owner cannot be ${what}` });
    if (!target)
      throw new AppError(ErrorCode.GROUP_NOT_MEMBER, { detail: `user ${targetId} is not a member` });
    if (target.role === 'admin' && me.role !== 'owner')
      throw new AppError(ErrorCode.GROUP_CANNOT_REMOVE_ADMIN, {
        detail: `an admin can be ${what} by the owner only`,
      });
    return target;
  }

  #byAdministrator(actor: Actor): Record<string, unknown> {
    if (!actor.byAdministrator) return {};
    return { byAdministrator: true, ...(actor.reason ? { reason: actor.reason } : {}) };
  }

  /** Names and announcements holding one of the administrator's forbidden words are refused. */
  async #assertCleanText(text: { name?: string | undefined; announcement?: string | null | undefined }) {
    await this.#deps.words.refuse(text.name, () => new AppError(ErrorCode.GROUP_NAME_SENSITIVE));
    await this.#deps.words.refuse(
      text.announcement,
      () => new AppError(ErrorCode.GROUP_ANNOUNCEMENT_SENSITIVE),
    );
  }

  #admins(members: GroupMember[]): string[] {
    return members.filter((m) => m.role !== 'member').map((m) => m.userId);
  }

  /** Who of the candidates joins at once, who is invited, who neither (see admission.ts). */
  #admit(inviterId: string, candidates: string[], profiles: Map<string, BriefProfile>): Promise<Admission> {
    return admit(this.#deps.invoke, {
      inviterId,
      candidates,
      profiles,
      allowStrangers: this.#deps.allowStrangers,
    });
  }

  /** Adds users (not members now) to a locked group, within its size limit, and tells everyone. */
  async #addMembers(
    w: WriteContext,
    group: Group,
    members: GroupMember[],
    userIds: string[],
    how: AddHow,
  ): Promise<void> {
    const max = this.#deps.limits.maxMembers;
    if (members.length + userIds.length > max)
      throw new AppError(ErrorCode.GROUP_FULL, {
        detail: `at most ${max} members; ${Math.max(0, max - members.length)} more can join`,
      });
    await this.#insertMembers(w, group.id, userIds, 'member');
    Object.assign(group, { memberCount: members.length + userIds.length, updatedAt: w.now });
    // Pending requests of the new members are settled by their joining.
    await w.tx.nativeUpdate(
      GroupJoinRequest,
      { groupId: group.id, userId: { $in: userIds }, status: JoinRequestStatus.PENDING },
      {
        status: JoinRequestStatus.ACCEPTED,
        handledBy: how.origin.userId,
        handledAt: w.now,
        updatedAt: w.now,
      },
    );
    // So are their invitations to it.
    await w.tx.nativeDelete(GroupInvitation, { groupId: group.id, inviteeId: { $in: userIds } });
    const memberIds = [...members.map((m) => m.userId), ...userIds];
    await w.touch(group.id, memberIds);
    w.emit({
      kind: GroupEvents.memberJoined,
      groupId: group.id,
      recipients: memberIds,
      payload: {
        groupId: group.id,
        userIds,
        users: userIds.map((id) => how.profiles.get(id) ?? null),
        via: how.via,
        inviterId: how.inviterId ?? null,
        memberCount: group.memberCount,
        group: this.#briefPayload(group),
      },
      origin: how.origin,
      system: { text: how.text },
    });
  }

  /** Inserts (or brings back) memberships with a fresh start: no nickname, no mute. */
  async #insertMembers(w: WriteContext, groupId: string, userIds: string[], role: GroupRole): Promise<void> {
    if (userIds.length === 0) return;
    const rows = userIds.map((userId) => ({ id: this.#deps.ids.next(), userId }));
    await w.tx.execute(
      `insert into "group"."group_members"
         ("id", "group_id", "user_id", "role", "group_nickname", "muted_until", "status", "left_reason",
          "version", "joined_at", "updated_at")
       select (r->>'id')::bigint, ?, (r->>'userId')::bigint, ?, null, null, 1, null, 0, ?, ?
       from jsonb_array_elements(?::jsonb) r
       on conflict ("group_id", "user_id") do update set "role" = excluded."role", "group_nickname" = null,
         "muted_until" = null, "status" = 1, "left_reason" = null, "joined_at" = excluded."joined_at",
         "updated_at" = excluded."updated_at"`,
      [groupId, role, w.now, w.now, JSON.stringify(rows)],
    );
  }

  /** Ends a membership (left or removed); the member's list reports why. */
  async #drop(
    w: WriteContext,
    group: Group,
    members: GroupMember[],
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

  #membership(row: GroupMember): Membership {
    return {
      role: row.role,
      groupNickname: row.groupNickname ?? null,
      mutedUntil: row.mutedUntil ?? null,
      joinedAt: row.joinedAt,
    };
  }

  #viewOf(group: Group, me: GroupMember): GroupView {
    return { group, maxMembers: this.#deps.limits.maxMembers, me: this.#membership(me) };
  }

  #settingsOf(group: Group): GroupSettings {
    return Object.fromEntries(SETTING_KEYS.map((key) => [key, group[key]])) as GroupSettings;
  }

  #briefPayload(group: Group): Record<string, unknown> {
    return {
      groupId: group.id,
      name: group.name,
      avatar: group.avatar ?? null,
      memberCount: group.memberCount,
    };
  }

  #memberView(row: GroupMember, profiles: Map<string, BriefProfile>): MemberView {
    return {
      userId: row.userId,
      profile: profiles.get(row.userId),
      role: row.role,
      groupNickname: row.groupNickname ?? null,
      mutedUntil: row.mutedUntil ?? null,
      joinedAt: row.joinedAt,
    };
  }

  #changeOf(row: ListRow): GroupChange {
    const version = Number(row.row_version);
    if (row.member_status !== MemberStatus.ACTIVE)
      return { gone: true, groupId: String(row.group_id), reason: row.left_reason ?? 'left', version };
    const group = {
      id: String(row.group_id),
      name: row.name,
      avatar: row.avatar,
      announcement: row.announcement,
      announcementBy: row.announcement_by === null ? null : String(row.announcement_by),
      announcementAt: dateOrNull(row.announcement_at),
      ownerId: String(row.owner_id),
      memberCount: Number(row.member_count),
      allMuted: row.all_muted,
      joinVerify: row.join_verify,
      memberInvite: row.member_invite,
      historyVisible: row.history_visible,
      memberAddFriend: row.member_add_friend,
      status: row.group_status,
      createdAt: date(row.created_at),
      updatedAt: date(row.updated_at),
      dismissedAt: dateOrNull(row.dismissed_at),
    } as Group;
    return {
      gone: false,
      version,
      group,
      maxMembers: this.#deps.limits.maxMembers,
      me: {
        role: row.role,
        groupNickname: row.group_nickname,
        mutedUntil: dateOrNull(row.muted_until),
        joinedAt: date(row.joined_at),
      },
    };
  }

  #name(profiles: Map<string, BriefProfile>, userId: string): string {
    return profiles.get(userId)?.nickname || userId;
  }

  /** The users' names for a notice: a long list is summarized (the full list is in its data). */
  #nameList(profiles: Map<string, BriefProfile>, userIds: string[]): string {
    return nameList(userIds.map((id) => this.#name(profiles, id)));
  }

  async #names(userIds: string[]): Promise<Map<string, BriefProfile>> {
    return this.#profiles(userIds);
  }

  #qrUrl(code: string): string {
    return `${this.#deps.publicUrl()}/api/v1/groups/qrcode/${code}`;
  }

  async #profiles(userIds: string[]): Promise<Map<string, BriefProfile>> {
    return fetchProfiles(this.#deps.invoke, userIds);
  }
}
