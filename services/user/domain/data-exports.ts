import { createHash, randomBytes } from 'node:crypto';
import type { SqlExecutor } from '../../platform/db/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';

/** How long a build holds its job: past it, the job of a process that died is built again. */
const LEASE_SECONDS = 120;
/** Builds tried before a job is marked failed. */
const MAX_ATTEMPTS = 5;
/** The pause after a failed build, times the attempts so far (the other services may be starting). */
const RETRY_SECONDS = 3;
/** How long a finished archive is kept. */
const ARCHIVE_TTL_SECONDS = 7 * 24 * 3600;
/** How long one download link works (a new one can be asked for while the archive is kept). */
const LINK_TTL_SECONDS = 15 * 60;

export type ExportStatus = 'pending' | 'ready' | 'failed' | 'expired';

export interface ExportView {
  exportId: string;
  status: ExportStatus;
  sizeBytes: number | null;
  createdAt: string;
  finishedAt: string | null;
  expiresAt: string | null;
}

interface ExportRow {
  export_id: string;
  status: 'pending' | 'ready' | 'failed';
  size_bytes: number | null;
  created_at: Date | string;
  finished_at: Date | string | null;
  expires_at: Date | string | null;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());
const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

function viewOf(row: ExportRow): ExportView {
  const expired = row.status === 'ready' && row.expires_at !== null && new Date(row.expires_at) < new Date();
  return {
    exportId: String(row.export_id),
    status: expired ? 'expired' : row.status,
    sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
    createdAt: new Date(row.created_at).toISOString(),
    finishedAt: iso(row.finished_at),
    expiresAt: iso(row.expires_at),
  };
}

const COLUMNS = `"export_id", "status", "size_bytes", "created_at", "finished_at", "expires_at"`;

/**
 * Data export jobs, durable in "user"."data_exports": a request is a pending row; any process's
 * sweeper leases due rows, builds the archive and stores it in the row with the hash of a random
 * download token (the link is the token: it expires with the archive).
 */
export class DataExports {
  readonly #sql: SqlExecutor;
  readonly #ids: SnowflakeGenerator;
  readonly #build: (userId: string) => Promise<Uint8Array>;
  readonly #logger: Logger;
  #sweeping: Promise<number> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: {
    sql: SqlExecutor;
    ids: SnowflakeGenerator;
    build: (userId: string) => Promise<Uint8Array>;
    logger: Logger;
  }) {
    this.#sql = deps.sql;
    this.#ids = deps.ids;
    this.#build = deps.build;
    this.#logger = deps.logger;
  }

  /** Starts an export; while one of the user's is still pending, that one is answered (no pile of jobs). */
  async start(userId: string): Promise<ExportView> {
    const rows = await this.#sql.query<ExportRow>(
      `with "running" as (
         select ${COLUMNS} from "user"."data_exports" where "user_id" = ? and "status" = 'pending' limit 1
       ), "created" as (
         insert into "user"."data_exports" ("export_id", "user_id")
         select ?, ? where not exists (select 1 from "running")
         returning ${COLUMNS}
       )
       select * from "created" union all select * from "running"`,
      [userId, this.#ids.next(), userId],
    );
    // Built here at once if this process is free; the timer of any process takes it otherwise.
    this.sweepNow();
    return viewOf(rows[0] as ExportRow);
  }

  /** Sweeps every `intervalMs` (and drops expired archives), in every process. */
  startSweeper(intervalMs: number): void {
    this.#timer ??= setInterval(() => {
      this.sweepNow();
      this.dropExpired().catch((error: unknown) => this.#logger.warn({ err: error }, 'export expiry failed'));
    }, intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for the build under way. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sweeping;
  }

  /** Starts a sweep unless one is running in this process. */
  sweepNow(): void {
    this.#sweeping ??= this.sweep()
      .catch((error: unknown) => {
        this.#logger.warn({ err: error }, 'export sweep failed');
        return 0;
      })
      .finally(() => {
        this.#sweeping = undefined;
      });
  }

  /** One of the user's exports; another user's is not found (40x never tells whose it is). */
  async get(userId: string, exportId: string): Promise<ExportView> {
    const rows = await this.#sql.query<ExportRow>(
      `select ${COLUMNS} from "user"."data_exports" where "export_id" = ? and "user_id" = ?`,
      [exportId, userId],
    );
    if (!rows[0]) throw new AppError(ErrorCode.NOT_FOUND, { detail: 'no such export' });
    return viewOf(rows[0]);
  }

  /** Whether the user has an export not finished yet. */
  async hasPending(userId: string): Promise<boolean> {
    const rows = await this.#sql.query(
      `select 1 from "user"."data_exports" where "user_id" = ? and "status" = 'pending' limit 1`,
      [userId],
    );
    return rows.length > 0;
  }

  /**
   * A fresh download link token for a finished export of the user's, valid for minutes (each
   * call replaces the previous one, so a leaked link stops working once a new one is asked for).
   */
  async issueDownloadToken(userId: string, exportId: string): Promise<{ token: string; expiresAt: string }> {
    const view = await this.get(userId, exportId);
    if (view.status !== 'ready')
      throw new AppError(ErrorCode.CONFLICT, { detail: `the export is ${view.status}, not ready` });
    const token = randomBytes(32).toString('base64url');
    const rows = await this.#sql.query<{ download_expires_at: Date | string }>(
      `update "user"."data_exports" set "download_token_hash" = ?,
         "download_expires_at" = least("expires_at", now() + make_interval(secs => ?))
       where "export_id" = ? returning "download_expires_at"`,
      [hashOf(token), LINK_TTL_SECONDS, exportId],
    );
    return {
      token,
      expiresAt: new Date(
        (rows[0] as { download_expires_at: Date | string }).download_expires_at,
      ).toISOString(),
    };
  }

  /** The archive a download token stands for, if it has not expired. */
  async archiveByToken(token: string): Promise<{ exportId: string; archive: Buffer } | null> {
    const rows = await this.#sql.query<{ export_id: string; archive: Buffer }>(
      `select "export_id", "archive" from "user"."data_exports"
       where "download_token_hash" = ? and "status" = 'ready' and "download_expires_at" > now()`,
      [hashOf(token)],
    );
    const row = rows[0];
    return row ? { exportId: String(row.export_id), archive: Buffer.from(row.archive) } : null;
  }

  /** Builds the due exports, one at a time; returns how many it finished. */
  async sweep(): Promise<number> {
    let done = 0;
    for (;;) {
      const claimed = await this.#sql.query<{ export_id: string; user_id: string; attempts: number }>(
        `update "user"."data_exports" e set "lease_until" = now() + make_interval(secs => ?), "attempts" = e."attempts" + 1
         from (
           select "export_id" from "user"."data_exports"
           where "status" = 'pending' and ("lease_until" is null or "lease_until" < now())
           order by "created_at" limit 1 for update skip locked
         ) due
         where e."export_id" = due."export_id"
         returning e."export_id", e."user_id", e."attempts"`,
        [LEASE_SECONDS],
      );
      const job = claimed[0];
      if (!job) return done;
      await this.#run(String(job.export_id), String(job.user_id), Number(job.attempts));
      done++;
    }
  }

  async #run(exportId: string, userId: string, attempts: number): Promise<void> {
    try {
      const archive = await this.#build(userId);
      await this.#sql.query(
        `update "user"."data_exports" set "status" = 'ready', "archive" = ?, "size_bytes" = ?,
           "finished_at" = now(), "expires_at" = now() + make_interval(secs => ?), "lease_until" = null
         where "export_id" = ?`,
        [Buffer.from(archive), archive.byteLength, ARCHIVE_TTL_SECONDS, exportId],
      );
    } catch (error) {
      this.#logger.warn({ err: error, exportId, attempts }, 'data export build failed');
      const failed = attempts >= MAX_ATTEMPTS;
      // Not failed yet: due again after a pause growing with the attempts, for any process.
      await this.#sql.query(
        `update "user"."data_exports" set "status" = ?, "error" = ?, "finished_at" = ${failed ? 'now()' : 'null'},
           "lease_until" = now() + make_interval(secs => ?)
         where "export_id" = ?`,
        [
          failed ? 'failed' : 'pending',
          String((error as Error).message ?? error).slice(0, 200),
          RETRY_SECONDS * attempts,
          exportId,
        ],
      );
    }
  }

  /**
   * The account was deleted: its exports go, archives and links with them (a link handed out
   * before works until this moment, never after). Safe to repeat.
   */
  async eraseAllOf(userId: string): Promise<void> {
    await this.#sql.query(`delete from "user"."data_exports" where "user_id" = ?`, [userId]);
  }

  /** Drops the archives past their expiry (the rows stay, as history). */
  async dropExpired(): Promise<void> {
    await this.#sql.query(
      `update "user"."data_exports" set "archive" = null, "download_token_hash" = null
       where "status" = 'ready' and "expires_at" < now() and "archive" is not null`,
    );
  }
}
