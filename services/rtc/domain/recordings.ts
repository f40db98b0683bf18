import type { SqlExecutor } from '../../platform/db/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Principal } from '../../platform/security/principal.ts';
import type { RecordingFiles } from '../clients/files.ts';
import { rtcFigures } from '../metrics.ts';
import { type Egress, type EgressOutcome, START_TIMEOUT_SECONDS } from './egress.ts';
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
  error_code: number | null;
  started_at: string;
  ended_at: string | null;
}

const COLUMNS = `recording_id::text, meeting_id::text, egress_id, started_by::text, status, storage_key,
  file_id::text, duration_ms::text, size::text, error, error_code, started_at, ended_at`;

/**
 * How long the start waits for LiveKit's answer before it answers `starting`. LiveKit answers
 * within a second when an Egress worker takes the job; with none it looks for one for 6–27 s
 * (its retries) before it says so, which no caller should sit through.
 */
const START_WAIT_MS = 3_000;
/** A start still unanswered after the egress client's deadline was lost with the process that asked. */
const START_LOST_SECONDS = START_TIMEOUT_SECONDS + 20;

/** Where Egress writes a recording in the file service's bucket (the file service checks the form). */
const keyOf = (meetingId: string, recordingId: string) => `recordings/${meetingId}/${recordingId}.mp4`;

type StartAnswer = { egressId: string } | { error: unknown };

/**
 * Meeting recordings (seed §4.10) through LiveKit Egress. The host starts and stops one at a time;
 * the egress writes an MP4 into the file service's bucket, and when LiveKit's egress_ended webhook
 * says it is complete the object becomes a file of the file service, counted in the host's quota
 * and readable by whoever belongs to the meeting, and the recording is done. Webhooks may come
 * again or out of order: each step is written only from the state before it, and the file's id is
 * fixed at the start.
 */
export class Recordings {
  readonly #sql: SqlExecutor;
  readonly #ids: SnowflakeGenerator;
  readonly #meetings: Meetings;
  readonly #egress: Egress | undefined;
  readonly #files: RecordingFiles;
  readonly #logger: Logger;
  /** Starts LiveKit answers after the route did (stop() waits for them). */
  readonly #pending = new Set<Promise<void>>();

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
   * The host starts recording the meeting's room, when their storage has room left (100117). The
   * row is written first (so that two starts cannot both reach LiveKit). When LiveKit answers
   * within START_WAIT_MS the recording is `active`, or the start is refused (100114, 100110) and
   * leaves nothing behind; otherwise it is answered `starting`, and LiveKit's answer when it comes
   * (or its egress_started webhook) makes it `active`, or `failed` with the refusal's code.
   */
  async start(user: Principal, meetingId: string): Promise<RecordingRow> {
    const meeting = await this.#meetings.hosted(user, meetingId);
    const egress = this.#configured();
    const { usedBytes, quotaBytes } = await this.#files.quota(user.userId);
    if (usedBytes >= quotaBytes)
      throw new AppError(ErrorCode.RECORDING_QUOTA_EXCEEDED, {
        detail: `${usedBytes} of ${quotaBytes} bytes used`,
        data: { usedBytes, quotaBytes },
      });
    await this.#meetings.openRoom(meeting);
    await this.#forgetLostStarts(meetingId);
    const recordingId = this.#ids.next();
    const [row] = await this.#sql.query<RecordingRow>(
      `insert into rtc.meeting_recordings (recording_id, meeting_id, started_by, status, storage_key, file_id)
       values (?, ?, ?, 'starting', ?, ?) on conflict do nothing returning ${COLUMNS}`,
      [recordingId, meetingId, user.userId, keyOf(meetingId, recordingId), this.#ids.next()],
    );
    if (!row) throw new AppError(ErrorCode.MEETING_ALREADY_RECORDING);
    const answer: Promise<StartAnswer> = egress.start(meeting.room_name, row.storage_key).then(
      (egressId) => ({ egressId }),
      (error: unknown) => ({ error }),
    );
    let timer: NodeJS.Timeout | undefined;
    const early = await Promise.race([
      answer,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(resolve, START_WAIT_MS, undefined);
      }),
    ]);
    clearTimeout(timer);
    if (early && 'error' in early) {
      await this.#sql.query('delete from rtc.meeting_recordings where recording_id = ?', [recordingId]);
      throw early.error;
    }
    if (early) return this.#started(row, early.egressId);
    this.#track(
      answer.then(async (late) => {
        if ('error' in late) await this.#refused(row, late.error);
        else await this.#started(row, late.egressId);
      }),
    );
    return row;
  }

  /** The host stops the running recording; its file comes with LiveKit's egress_ended. */
  async stop(user: Principal, meetingId: string): Promise<RecordingRow> {
    await this.#meetings.hosted(user, meetingId);
    const egress = this.#configured();
    await this.#forgetLostStarts(meetingId);
    const [running] = await this.#sql.query<RecordingRow>(
      `select ${COLUMNS} from rtc.meeting_recordings
       where meeting_id = ? and status in ('starting', 'active', 'stopping')`,
      [meetingId],
    );
    if (!running) throw new AppError(ErrorCode.MEETING_NOT_RECORDING);
    if (!running.egress_id) {
      // LiveKit has not answered the start yet: the egress is stopped as soon as it does (#started).
      const [marked] = await this.#sql.query<RecordingRow>(
        `update rtc.meeting_recordings set status = 'stopping'
         where recording_id = ? and status in ('starting', 'stopping') and egress_id is null returning ${COLUMNS}`,
        [running.recording_id],
      );
      // Answered meanwhile: stop the egress it named.
      return marked ?? this.stop(user, meetingId);
    }
    if ((await egress.stop(running.egress_id)) === 'gone') {
      // LiveKit no longer knows the egress (its webhook was lost, or LiveKit restarted): without
      // this the recording would block the next one forever.
      await this.#fail(running.recording_id, 'LiveKit no longer knows this egress');
      return this.#row(running.recording_id);
    }
    const [stopping] = await this.#sql.query<RecordingRow>(
      `update rtc.meeting_recordings set status = 'stopping'
       where recording_id = ? and status in ('starting', 'active') returning ${COLUMNS}`,
      [running.recording_id],
    );
    return stopping ?? this.#row(running.recording_id);
  }

  /** The meeting's recordings, newest first, for its members. */
  async list(user: Principal, meetingId: string): Promise<RecordingRow[]> {
    await this.#meetings.seenBy(user, meetingId);
    await this.#forgetLostStarts(meetingId);
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
        meetingId: row.meeting_id,
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
      // The host's quota cannot take it: the file service refused it and removed its bytes.
      if (error instanceof AppError && error.code === ErrorCode.FILE_QUOTA_EXCEEDED) {
        await this.#fail(row.recording_id, error.message, ErrorCode.RECORDING_QUOTA_EXCEEDED);
        return;
      }
      throw error;
    }
    const done = await this.#sql.query(
      `update rtc.meeting_recordings set status = 'done', egress_id = coalesce(egress_id, ?),
         duration_ms = ?, size = ?, error = null, error_code = null, ended_at = now()
       where recording_id = ? and status <> 'done' returning recording_id`,
      [outcome.egressId, outcome.durationMs ?? null, size, row.recording_id],
    );
    if (done.length > 0) rtcFigures.recording('completed');
    this.#logger.info({ meetingId: row.meeting_id, fileId: row.file_id, size }, 'meeting recording kept');
  }

  /** Resolves once every start LiveKit had not answered is settled (the service stops). */
  async settled(): Promise<void> {
    await Promise.all(this.#pending);
  }

  /**
   * LiveKit started the egress: the recording is active, unless the host stopped it meanwhile (it
   * is stopped now) or it was given up as lost (stopped too: nobody would stop it otherwise).
   */
  async #started(row: RecordingRow, egressId: string): Promise<RecordingRow> {
    // An egress_started webhook may have set the id already (it finds the row by its key).
    const [started] = await this.#sql.query<RecordingRow>(
      `update rtc.meeting_recordings set egress_id = ?,
         status = case when status = 'starting' then 'active' else status end
       where recording_id = ? returning ${COLUMNS}`,
      [egressId, row.recording_id],
    );
    if (started!.status === 'stopping' || started!.status === 'failed') {
      if ((await this.#configured().stop(egressId)) === 'gone')
        await this.#fail(row.recording_id, 'LiveKit no longer knows this egress');
      return this.#row(row.recording_id);
    }
    rtcFigures.recording('started');
    return started!;
  }

  /** LiveKit refused a start after the route had answered `starting`: the recording failed, with the refusal's code. */
  async #refused(row: RecordingRow, error: unknown): Promise<void> {
    const refusal = error instanceof AppError ? error : undefined;
    await this.#fail(
      row.recording_id,
      refusal?.detail ?? (error as Error).message,
      refusal?.code ?? ErrorCode.LIVEKIT_UNAVAILABLE,
    );
  }

  #track(work: Promise<unknown>): void {
    const settled = work.then(
      () => undefined,
      (error: unknown) => this.#logger.warn({ err: error }, 'settling a recording start failed'),
    );
    this.#pending.add(settled);
    void settled.finally(() => this.#pending.delete(settled));
  }

  /**
   * Starts LiveKit never answered within the egress client's deadline: the process that asked is
   * gone, and with it whoever would have moved the row on. They fail, so that the meeting can be
   * recorded again (one running recording per meeting).
   */
  async #forgetLostStarts(meetingId: string): Promise<void> {
    await this.#sql.query(
      `update rtc.meeting_recordings set status = 'failed', error = ?, ended_at = now()
       where meeting_id = ? and status in ('starting', 'stopping') and egress_id is null
         and started_at < now() - cast(? as integer) * interval '1 second'`,
      ['LiveKit never answered the start', meetingId, START_LOST_SECONDS],
    );
  }

  async #row(recordingId: string): Promise<RecordingRow> {
    const [row] = await this.#sql.query<RecordingRow>(
      `select ${COLUMNS} from rtc.meeting_recordings where recording_id = ?`,
      [recordingId],
    );
    return row!;
  }

  async #fail(recordingId: string, error: string, code: number | null = null): Promise<void> {
    const failed = await this.#sql.query(
      `update rtc.meeting_recordings set status = 'failed', error = ?, error_code = ?, ended_at = now()
       where recording_id = ? and status not in ('done', 'failed') returning recording_id`,
      [error.slice(0, 500), code, recordingId],
    );
    if (failed.length > 0) rtcFigures.recording('failed');
  }

  #configured(): Egress {
    if (!this.#egress) throw new AppError(ErrorCode.RECORDING_NOT_CONFIGURED);
    return this.#egress;
  }
}
