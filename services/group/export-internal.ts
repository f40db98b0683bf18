import { z } from 'zod';
import { GroupExportService } from '../platform/contracts/gen/anychat/group/v1/export_pb.ts';
import type { SqlExecutor } from '../platform/db/index.ts';
import { SNOWFLAKE_PATTERN } from '../platform/ids.ts';
import { type InputSchemas, type InternalService, internalService } from '../platform/ports/index.ts';

/** Input rules of GroupExportService's methods (test/unit/contracts.test.ts holds them to the proto messages). */
export const GroupExportInputs = {
  listUserMemberships: z.object({ userId: z.string().regex(SNOWFLAKE_PATTERN) }),
} satisfies InputSchemas<typeof GroupExportService>;

/** What the user service's data export reads of the group service (proto/anychat/group/v1/export.proto). */
export function groupExportInternal(sql: SqlExecutor): InternalService {
  return internalService(GroupExportService, GroupExportInputs, {
    listUserMemberships: async ({ userId }) => {
      const rows = await sql.query<{
        group_id: string;
        name: string;
        role: string;
        joined_at: Date | string;
      }>(
        `select g."id"::text as "group_id", g."name", m."role", m."joined_at"
           from "group"."group_members" m join "group"."groups" g on g."id" = m."group_id"
          where m."user_id" = ? and m."status" = 1 and g."status" = 1
          order by m."joined_at", g."id"`,
        [userId],
      );
      return {
        memberships: rows.map((row) => ({
          groupId: row.group_id,
          name: row.name,
          role: row.role,
          joinedAt: new Date(row.joined_at).toISOString(),
        })),
      };
    },
  });
}
