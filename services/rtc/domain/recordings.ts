import type { SqlExecutor } from '../../platform/db/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Principal } from '../../platform/security/principal.ts';
import type { RecordingFiles } from '../clients/files.ts';
import { rtcFigures } from '../metrics.ts';
import type { Egress, EgressOutcome } from './egress.ts';
import type { Meetings } from './meetings.ts';

export type RecordingStatus = 'starting' | 'active' | 'stopping' | 'done' | 'failed';

export interface RecordingRow {
  recording_id: string;
  meeting_id: string;
  egress_id: string | null;
  started_by: string;
  status: RecordingStatus;
  storage_key: string;
  file_id: string;
  duration_ms: string | null;
  size: string | null;
  error: string | null;
  started_at: string;
  ended_at: string | null;
}

const COLUMNS = `recording_id::text, meeting_id::text, egress_id, started_by::text, status, storage_key,
  file_id::text, duration_ms::text, size::text, error, started_at, ended_at`;

/** Where Egress writes a recording in the file service's bucket (the file service checks the form). */
const keyOf = (meetingId: string, recordingId: string) => `recordings/${meetingId}/${recordingId}.mp4`;

/**
 * Meeting recordings (seed §4.10) through LiveKit Egress. The host starts and stops one at a time;
 * the egress writes an MP4 into the file service's bucket, and when LiveKit's egress_ended webhook
 * says it is complete the object becomes a file of the file service, readable by the meeting's
 * members, and the recording is done. Webhooks may come again or out of order: each step is
 * written only from the state before it, and the file's id is fixed at the start.
 */
export class Recordings {
  readonly #sql: SqlExecutor;
  readonly #ids: SnowflakeGenerator;
  readonly #meetings: Meetings;
  readonly #egress: Egress | undefined;
  readonly #files: RecordingFiles;
  readonly #logger: Logger;

  constructor(deps: {
    sql: SqlExecutor;
    ids: SnowflakeGenerator;
    meetings: Meetings;
    egress: Egress | undefined;
    files: RecordingFiles;
    logger: Logger;
  }) {
    this.#sql = deps.sql;
    this.#ids = deps.ids;
    this.#meetings = deps.meetings;
    this.#egress = deps.egress;
    this.#files = deps.files;
    this.#logger = deps.logger;
  }

  /**
   * The host starts recording the meeting's room. The row is written first (so that two starts
   * cannot both reach LiveKit) and removed again when no egress could start: a refused start
   * leaves nothing behind.
   */
  async start(user: Principal, meetingId: string): Promise<RecordingRow> {
    const meeting = await this.#meetings.hosted(user, meetingId);
    const egress = this.#configured();
    await this.#meetings.openRoom(meeting);
    const recordingId = this.#ids.next();
    const [row] = await this.#sql.query<RecordingRow>(
      `insert into rtc.meeting_recordings (recording_id, meeting_id, started_by, status, storage_key, file_id)
       values (?, ?, ?, 'starting', ?, ?) on conflict do nothing returning ${COLUMNS}`,
      [recordingId, meetingId, user.userId, keyOf(meetingId, recordingId), this.#ids.next()],
    );
    if (!row) throw new AppError(ErrorCode.MEETING_ALREADY_RECORDING);
    let egressId: string;
    try {
      egressId = await egress.start(meeting.room_name, row.storage_key);
    } catch (error) {
      await this.#sql.query('delete from rtc.meeting_recordings where recording_id = ?', [recordingId]);
      throw error;
    }
    // An egress_started webhook may have set the id already (it finds the row by its key).
    const [started] = await this.#sql.query<RecordingRow>(
      `update rtc.meeting_recordings set egress_id = ?,
         status = case when status = 'starting' then 'active' else status end
       where recording_id = ? returning ${COLUMNS}`,
      [egressId, recordingId],
    );
    rtcFigures.recording('started');
    return started!;
  }

  /** The host stops the running recording; its file comes with LiveKit's egress_ended. */
  async stop(user: Principal, meetingId: string): Promise<RecordingRow> {
    await this.#meetings.hosted(user, meetingId);
    const egress = this.#configured();
    const [running] = await this.#sql.query<RecordingRow>(
      `select ${COLUMNS} from rtc.meeting_recordings
       where meeting_id = ? and status in ('active', 'stopping') and egress_id is not null`,
      [meetingId],
    );
    if (!running) throw new AppError(ErrorCode.MEETING_NOT_RECORDING);
    if ((await egress.stop(running.egress_id!)) === 'gone') {
      // LiveKit no longer knows the egress (its webhook was lost, or LiveKit restarted): without
      // this the recording would block the next one forever.
      await this.#fail(running.recording_id, 'LiveKit no longer knows this egress');
      const [failed] = await this.#sql.query<RecordingRow>(
        `select ${COLUMNS} from rtc.meeting_recordings where recording_id = ?`,
        [running.recording_id],
      );
      return failed!;
    }
    const [stopping] = await this.#sql.query<RecordingRow>(
      `update rtc.meeting_recordings set status = 'stopping'
       where recording_id = ? and status = 'active' returning ${COLUMNS}`,
      [running.recording_id],
    );
    return stopping ?? running;
  }

  /** The meeting's recordings, newest first, for its members. */
  async list(user: Principal, meetingId: string): Promise<RecordingRow[]> {
    await this.#meetings.seenBy(user, meetingId);
    return this.#sql.query<RecordingRow>(
      `select ${COLUMNS} from rtc.meeting_recordings where meeting_id = ?
       order by started_at desc, recording_id desc`,
      [meetingId],
    );
  }

  /**
   * LiveKit's egress_started, egress_updated and egress_ended. An egress of no recording of ours
   * is ignored. A complete one registers its file (idempotent on the file id chosen at the start)
   * before the row says done, so a failure in between is retried by the next delivery.
   */
  async egressEvent(outcome: EgressOutcome): Promise<void> {
    const [row] = await this.#sql.query<RecordingRow>(
      `select ${COLUMNS} from rtc.meeting_recordings where egress_id = ? or storage_key = ?
       order by coalesce(egress_id = ?, false) desc limit 1`,
      [outcome.egressId, outcome.key ?? '', outcome.egressId],
    );
    // Done is final. Failed is not, for a file: a stop that found LiveKit without the egress may
    // be followed by its egress_ended after all, and its bytes are kept then.
    if (!row || row.status === 'done' || (row.status === 'failed' && outcome.state !== 'complete')) return;
    if (outcome.state === 'running') {
      await this.#sql.query(
        `update rtc.meeting_recordings set egress_id = coalesce(egress_id, ?),
           status = case when status = 'starting' then 'active' else status end
         where recording_id = ?`,
        [outcome.egressId, row.recording_id],
      );
      return;
    }
    if (outcome.state === 'failed') {
      await this.#fail(row.recording_id, outcome.error ?? 'the egress ended without a file');
      return;
    }
    const meeting = await this.#meetings.get(row.meeting_id);
    let size: number;
    try {
      size = await this.#files.register({
        fileId: row.file_id,
        ownerId: row.started_by,
        storageKey: row.storage_key,
        fileName: `${meeting.title} ${new Date(row.started_at).toISOString().slice(0, 16)}.mp4`,
        readerIds: await this.#meetings.members(meeting),
        durationMs: outcome.durationMs,
      });
    } catch (error) {
      // Complete by LiveKit's word, yet nothing is stored at the key: there is no file to keep.
      if (error instanceof AppError && error.code === ErrorCode.FILE_NOT_FOUND) {
        await this.#fail(
          row.recording_id,
          `the egress reported a file, but none is stored at ${row.storage_key}`,
        );
        return;
      }
      throw error;
    }
    const done = await this.#sql.query(
      `update rtc.meeting_recordings set status = 'done', egress_id = coalesce(egress_id, ?),
         duration_ms = ?, size = ?, error = null, ended_at = now()
       where recording_id = ? and status <> 'done' returning recording_id`,
      [outcome.egressId, outcome.durationMs ?? null, size, row.recording_id],
    );
    if (done.length > 0) rtcFigures.recording('completed');
    this.#logger.info({ meetingId: row.meeting_id, fileId: row.file_id, size }, 'meeting recording kept');
  }

  async #fail(recordingId: string, error: string): Promise<void> {
    const failed = await this.#sql.query(
      `update rtc.meeting_recordings set status = 'failed', error = ?, ended_at = now()
       where recording_id = ? and status not in ('done', 'failed') returning recording_id`,
      [error.slice(0, 500), recordingId],
    );
    if (failed.length > 0) rtcFigures.recording('failed');
  }

  #configured(): Egress {
    if (!this.#egress) throw new AppError(ErrorCode.RECORDING_NOT_CONFIGURED);
    return this.#egress;
  }
}
