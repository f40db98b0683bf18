import type { SqlExecutor } from '../../platform/db/index.ts';
import type { Lifecycle } from './lifecycle.ts';

export interface AccountFile {
  fileId: string;
  fileName: string;
  fileSize: bigint;
  mimeType: string;
  fileType: string;
  createdAt: string;
}

/** The files of one account as a whole: what its data export lists, and what its deletion removes. */
export class AccountFiles {
  readonly #sql: SqlExecutor;
  readonly #lifecycle: Lifecycle;

  constructor(sql: SqlExecutor, lifecycle: Lifecycle) {
    this.#sql = sql;
    this.#lifecycle = lifecycle;
  }

  /** The files the user uploaded and has not deleted (uploads still in progress left out), oldest first. */
  async list(userId: string): Promise<AccountFile[]> {
    const rows = await this.#sql.query<{
      file_id: string;
      file_name: string;
      file_size: string | number;
      mime_type: string;
      file_type: string;
      created_at: Date | string;
    }>(
      `select "file_id"::text as "file_id", "file_name", "file_size", "mime_type", "file_type", "created_at"
         from "file"."files" where "user_id" = ? and "status" = 'ready' order by "created_at", "file_id"`,
      [userId],
    );
    return rows.map((row) => ({
      fileId: row.file_id,
      fileName: row.file_name,
      fileSize: BigInt(row.file_size),
      mimeType: row.mime_type,
      fileType: row.file_type,
      createdAt: new Date(row.created_at).toISOString(),
    }));
  }

  /**
   * The account was deleted: every file it uploaded is deleted (its links and ids answer 070106
   * from now on, in the conversations too), and a sweep removes from storage the bytes no other
   * file shares (identical content another user uploaded stays theirs). Safe to repeat.
   */
  async deleteAll(userId: string): Promise<number> {
    const deleted = await this.#sql.query(
      `update "file"."files" set "status" = 'deleted', "deleted_at" = now()
        where "user_id" = ? and "status" <> 'deleted' returning "file_id"`,
      [userId],
    );
    await this.#lifecycle.sweep();
    return deleted.length;
  }
}
