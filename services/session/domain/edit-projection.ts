import type { SqlExecutor } from '../../platform/db/index.ts';

/**
 * An edit's new text as the preview of every list whose last message it is, once per edit number:
 * an older edit arriving after a newer one (pub/sub is unordered) changes nothing, and a list whose
 * last message is another one keeps its own. An edit handled before its message's `message.created`
 * finds no row and is lost to the preview (the edited text is still what history and sync show);
 * the message service publishes `message.created` at commit, long before its sender can edit it.
 */
export async function applyEdit(
  sql: SqlExecutor,
  edit: { sessionId: string; messageId: string; version: number; preview: string },
): Promise<void> {
  await sql.query(
    `update "session"."sessions" s
        set "last_preview" = ?, "last_edit_version" = ?, "updated_at" = clock_timestamp()
      where s."session_id" = ? and s."last_message_id" = ? and s."last_edit_version" < ?`,
    [edit.preview, edit.version, edit.sessionId, edit.messageId, edit.version],
  );
}
