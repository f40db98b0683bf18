import type { EntityManager } from '@mikro-orm/postgresql';
import type { GroupRole } from '../../platform/contracts/index.ts';
import { syncPage } from '../../platform/db/index.ts';
import { type Group, GroupMember, type LeaveReason, MemberStatus } from '../entities.ts';
import { date, dateOrNull } from './dates.ts';
import type { ListedGroup, ListedPage, MemberRecord } from './records.ts';

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

const LIST_COLUMNS = `m."group_id", m."role", m."group_nickname", m."muted_until", m."status" as "member_status",
  m."left_reason", m."version" as "row_version", m."joined_at", g."name", g."avatar", g."announcement",
  g."announcement_by", g."announcement_at", g."owner_id", g."member_count", g."all_muted", g."join_verify",
  g."member_invite", g."history_visible", g."member_add_friend", g."status" as "group_status",
  g."created_at", g."updated_at", g."dismissed_at"`;

function listedOf(row: ListRow): ListedGroup {
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
    me: {
      role: row.role,
      groupNickname: row.group_nickname,
      mutedUntil: dateOrNull(row.muted_until),
      joinedAt: date(row.joined_at),
    },
  };
}

/**
 * Without `since`: a page of the user's groups. With `since`: the rows of their list that changed
 * after that cursor, in version order, groups they are out of included.
 */
export async function groupListPage(
  em: EntityManager,
  userId: string,
  options: { since?: number | undefined; page: number; pageSize: number },
): Promise<ListedPage> {
  const incremental = options.since !== undefined;
  const from = `"group"."group_members" m join "group"."groups" g on g."id" = m."group_id"`;
  const page = incremental
    ? {
        sql: `select ${LIST_COLUMNS} from ${from} where m."user_id" = ? and m."version" > ? order by m."version" limit ?`,
        params: [userId, options.since, options.pageSize + 1],
      }
    : {
        sql: `select ${LIST_COLUMNS} from ${from} where m."user_id" = ? and m."status" = 1
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
  return { groups: shown.map(listedOf), ...result };
}

/** A page of a group's active members: owner first, then admins, then by joining time. */
export async function memberPage(
  em: EntityManager,
  groupId: string,
  page: { limit: number; offset: number },
): Promise<{ total: number; members: MemberRecord[] }> {
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
    [groupId, page.limit, page.offset],
  );
  // Past the last page the window count is missing: count on its own.
  const total =
    rows.length > 0
      ? Number(rows[0]!.total)
      : await em.count(GroupMember, { groupId, status: MemberStatus.ACTIVE });
  return {
    total,
    members: rows.map((row) => ({
      userId: String(row.user_id),
      role: row.role,
      groupNickname: row.group_nickname,
      mutedUntil: dateOrNull(row.muted_until),
      joinedAt: date(row.joined_at),
    })),
  };
}
