import type { EntityManager } from '@mikro-orm/postgresql';
import type {
  AdminGroupDetail,
  AdminGroupSummary,
  GroupRole,
  GroupSendContext,
  GroupStats,
} from '../../platform/contracts/index.ts';
import { containingPattern, countedPage } from '../../platform/db/index.ts';
import { isIdInRange } from '../../platform/ids.ts';
import { GroupStatus } from '../entities.ts';
import { date, dateOrNull } from './dates.ts';

/** Membership that counts on the message path: active, or ended only by the group's dismissal. */
const stillIn = (alias: string) =>
  `(${alias}."status" = 1 or (g."status" = ${GroupStatus.DISMISSED} and ${alias}."left_reason" = 'dismissed'))`;

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

/**
 * The message path's view of a group, in one statement; null when there is no such group. The
 * members of a dismissed group stay its members here, so that its conversation remains readable.
 */
export async function sendContextOf(
  em: EntityManager,
  groupId: string,
  userId: string,
): Promise<GroupSendContext | null> {
  const [row] = await em.execute<
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
  if (!row) return null;
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

/** The ids of a group's conversation members (a dismissed group's included); null when there is no such group. */
export async function conversationMembersOf(em: EntityManager, groupId: string): Promise<string[] | null> {
  const [row] = await em.execute<Array<{ member_ids: string[] | string }>>(
    `select (select coalesce(json_agg(a."user_id"::text order by a."user_id"), '[]'::json)
          from "group"."group_members" a where a."group_id" = g."id" and ${stillIn('a')}) as "member_ids"
     from "group"."groups" g where g."id" = ?`,
    [groupId],
  );
  if (!row) return null;
  return typeof row.member_ids === 'string' ? (JSON.parse(row.member_ids) as string[]) : row.member_ids;
}

/** Groups newest first, dismissed ones included; `keyword` matches the name (substring) or the id. */
export async function adminPage(
  em: EntityManager,
  query: { keyword?: string | undefined; offset: number; limit: number },
): Promise<{ total: number; items: AdminGroupSummary[] }> {
  const keyword = query.keyword?.trim();
  const params: unknown[] = [];
  let where = '';
  if (keyword) {
    // Digits past bigint's range are no id: they match names only.
    const isId = isIdInRange(keyword);
    where = `where g."name" ilike ? escape '\\'${isId ? ' or g."id" = ?' : ''}`;
    params.push(containingPattern(keyword), ...(isId ? [keyword] : []));
  }
  const { total, rows } = await countedPage<GroupSummaryRow>(em, {
    select: GROUP_SUMMARY_COLUMNS,
    from: `from "group"."groups" g ${where}`,
    orderBy: 'g."created_at" desc, g."id" desc',
    params,
    limit: query.limit,
    offset: query.offset,
  });
  return { total, items: rows.map(summaryOf) };
}

/** A group with its members (a dismissed group: those it had when dismissed); null when unknown. */
export async function adminDetailOf(em: EntityManager, groupId: string): Promise<AdminGroupDetail | null> {
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
  if (!row) return null;
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
export async function groupStats(em: EntityManager, since: Date): Promise<GroupStats> {
  const [row] = await em.execute<
    Array<{ total: string | number; active: string | number; new_since: string | number }>
  >(
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
