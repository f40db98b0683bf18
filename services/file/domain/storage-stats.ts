import type { SqlExecutor } from '../../platform/db/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';

export interface StorageUse {
  files: number;
  bytes: number;
  storedBytes: number;
  kinds: Array<{ kind: string; files: number; bytes: number }>;
}

/** Storage use for administrators (`imctl stats`), and moderation's deletion of a file. */
export class StorageAdmin {
  readonly #sql: SqlExecutor;

  constructor(sql: SqlExecutor) {
    this.#sql = sql;
  }

  async use(userId?: string): Promise<StorageUse> {
    const kinds = await this.#sql.query<{ kind: string; files: string; bytes: string }>(
      `select file_type as kind, count(*) as files, coalesce(sum(file_size), 0) as bytes
       from "file"."files" where status <> 'deleted' ${userId ? 'and user_id = ?' : ''}
       group by file_type order by file_type`,
      userId ? [userId] : [],
    );
    const [stored] = userId
      ? [{ bytes: '0' }]
      : await this.#sql.query<{ bytes: string }>(
          `select coalesce(sum(size), 0) as bytes from "file"."blobs"`,
        );
    const rows = kinds.map((row) => ({ kind: row.kind, files: Number(row.files), bytes: Number(row.bytes) }));
    return {
      files: rows.reduce((sum, row) => sum + row.files, 0),
      bytes: rows.reduce((sum, row) => sum + row.bytes, 0),
      storedBytes: Number(stored?.bytes ?? 0),
      kinds: rows,
    };
  }

  /** Marks the file deleted; the lifecycle sweep removes its bytes when nothing else refers to them. */
  async delete(fileId: string): Promise<{ ownerId: string; fileName: string; size: number }> {
    const [row] = await this.#sql.query<{
      user_id: string;
      file_name: string;
      file_size: string;
      status: string;
    }>(`select user_id, file_name, file_size, status from "file"."files" where file_id = ?`, [fileId]);
    if (!row) throw new AppError(ErrorCode.FILE_NOT_FOUND);
    const deleted = await this.#sql.query(
      `update "file"."files" set status = 'deleted', deleted_at = now() where file_id = ? and status <> 'deleted'
       returning file_id`,
      [fileId],
    );
    if (deleted.length === 0) throw new AppError(ErrorCode.FILE_DELETED);
    return { ownerId: String(row.user_id), fileName: row.file_name, size: Number(row.file_size) };
  }
}
