import type { SqlExecutor } from '../../platform/db/index.ts';

export type CallType = 'audio' | 'video';
/** ringing → connected → ended; or ringing → missed / rejected / cancelled. */
export type CallStatus = 'ringing' | 'connected' | 'ended' | 'missed' | 'rejected' | 'cancelled';
/** A user's part: the caller starts `accepted`; a callee rings, then accepts, rejects, misses or is busy; whoever was in it has `left`. */
export type UserState = 'ringing' | 'accepted' | 'rejected' | 'missed' | 'busy' | 'cancelled' | 'left';

/** Timestamps as the driver gives them (text); read them with `new Date()`. */
export interface CallRow {
  call_id: string;
  call_type: CallType;
  caller_id: string;
  callee_id: string | null;
  group_id: string | null;
  room_name: string;
  status: CallStatus;
  ring_deadline: string;
  start_time: string | null;
  end_time: string | null;
  duration: number | null;
  duration_ms: string | null;
  end_reason: string | null;
  record_message_id: string | null;
  room_closed: boolean;
  created_at: string;
}

export interface LogRow {
  call_id: string;
  user_id: string;
  role: 'caller' | 'callee';
  state: UserState;
  device_id: string | null;
  answered_at: string | null;
  in_room: boolean;
  joined_at: string | null;
  left_at: string | null;
}

const callColumns = (t: string) => `${t}call_id::text, ${t}call_type, ${t}caller_id::text,
  ${t}callee_id::text, ${t}group_id::text, ${t}room_name, ${t}status, ${t}ring_deadline, ${t}start_time,
  ${t}end_time, ${t}duration, ${t}duration_ms::text, ${t}end_reason, ${t}record_message_id::text,
  ${t}room_closed, ${t}created_at`;
const CALL_COLUMNS = callColumns('');
const LOG_COLUMNS = `call_id::text, user_id::text, role, state, device_id, answered_at, in_room, joined_at, left_at`;
const ids = (values: string[]) => JSON.stringify(values);

/** The rtc schema's rows; every write takes the transaction it belongs to. */
export const CallStore = {
  /** Takes the lines of `userIds` for the call; answers who was free (the others are in a call). */
  async claimLines(tx: SqlExecutor, callId: string, userIds: string[]): Promise<Set<string>> {
    const rows = await tx.query<{ user_id: string }>(
      `insert into rtc.call_lines (user_id, call_id)
       select x::bigint, ? from jsonb_array_elements_text(?::jsonb) x
       on conflict (user_id) do nothing returning user_id::text`,
      [callId, ids(userIds)],
    );
    return new Set(rows.map((row) => row.user_id));
  },

  async releaseLine(tx: SqlExecutor, callId: string, userId: string): Promise<void> {
    await tx.query('delete from rtc.call_lines where call_id = ? and user_id = ?', [callId, userId]);
  },

  async insertCall(
    tx: SqlExecutor,
    call: {
      callId: string;
      callType: CallType;
      callerId: string;
      calleeId: string | null;
      groupId: string | null;
      roomName: string;
      ringSeconds: number;
    },
  ): Promise<CallRow> {
    const [row] = await tx.query<CallRow>(
      `insert into rtc.call_sessions (call_id, call_type, caller_id, callee_id, group_id, room_name, status, ring_deadline)
       values (?, ?, ?, ?, ?, ?, 'ringing', now() + make_interval(secs => ?)) returning ${CALL_COLUMNS}`,
      [
        call.callId,
        call.callType,
        call.callerId,
        call.calleeId,
        call.groupId,
        call.roomName,
        call.ringSeconds,
      ],
    );
    return row!;
  },

  async insertLogs(
    tx: SqlExecutor,
    callId: string,
    logs: Array<{ userId: string; role: LogRow['role']; state: UserState; deviceId: string | null }>,
  ): Promise<void> {
    await tx.query(
      `insert into rtc.call_logs (call_id, user_id, role, state, device_id, answered_at)
       select ?, (e->>'userId')::bigint, e->>'role', e->>'state', e->>'deviceId',
         case when e->>'state' = 'accepted' then now() end
       from jsonb_array_elements(?::jsonb) e`,
      [callId, JSON.stringify(logs)],
    );
  },

  /** The call, locked for the transaction's change. */
  async lockCall(tx: SqlExecutor, callId: string): Promise<CallRow | undefined> {
    const [row] = await tx.query<CallRow>(
      `select ${CALL_COLUMNS} from rtc.call_sessions where call_id = ? for update`,
      [callId],
    );
    return row;
  },

  async call(sql: SqlExecutor, callId: string): Promise<CallRow | undefined> {
    const [row] = await sql.query<CallRow>(
      `select ${CALL_COLUMNS} from rtc.call_sessions where call_id = ?`,
      [callId],
    );
    return row;
  },

  async logs(sql: SqlExecutor, callId: string): Promise<LogRow[]> {
    return sql.query<LogRow>(`select ${LOG_COLUMNS} from rtc.call_logs where call_id = ? order by user_id`, [
      callId,
    ]);
  },

  async setState(
    tx: SqlExecutor,
    callId: string,
    userId: string,
    state: UserState,
    deviceId?: string,
  ): Promise<void> {
    await tx.query(
      `update rtc.call_logs set state = ?, device_id = coalesce(?, device_id),
         answered_at = case when ? = 'accepted' then now() else answered_at end
       where call_id = ? and user_id = ?`,
      [state, deviceId ?? null, state, callId, userId],
    );
  },

  async connect(tx: SqlExecutor, callId: string): Promise<void> {
    await tx.query(
      `update rtc.call_sessions set status = 'connected', start_time = now() where call_id = ? and status = 'ringing'`,
      [callId],
    );
  },

  /**
   * Ends the call now, once (a call already ended is left as it is: undefined): its duration is
   * measured by the database's clock from the moment it was answered; whoever still rang missed
   * it (or saw it cancelled), whoever was in it has left, and every line it held is free.
   */
  async finish(
    tx: SqlExecutor,
    callId: string,
    status: CallStatus,
    reason: string,
  ): Promise<CallRow | undefined> {
    const [row] = await tx.query<CallRow>(
      `update rtc.call_sessions set status = ?, end_reason = ?, end_time = now(),
         duration_ms = coalesce(floor(extract(epoch from (now() - start_time)) * 1000)::bigint, 0),
         duration = coalesce(round(extract(epoch from (now() - start_time)))::int, 0)
       where call_id = ? and end_time is null returning ${CALL_COLUMNS}`,
      [status, reason, callId],
    );
    if (!row) return undefined;
    await tx.query(
      `update rtc.call_logs set in_room = false, state = case
         when state = 'ringing' then (case when ? = 'cancelled' then 'cancelled' else 'missed' end)
         when state = 'accepted' then 'left' else state end
       where call_id = ?`,
      [status, callId],
    );
    await tx.query('delete from rtc.call_lines where call_id = ?', [callId]);
    return row;
  },

  /** Whether anyone is still in the room by LiveKit's webhooks. */
  async anyoneInRoom(tx: SqlExecutor, callId: string): Promise<boolean> {
    const [row] = await tx.query<{ n: number }>(
      'select count(*)::int as n from rtc.call_logs where call_id = ? and in_room',
      [callId],
    );
    return (row?.n ?? 0) > 0;
  },

  async presence(tx: SqlExecutor, callId: string, userId: string, inRoom: boolean): Promise<boolean> {
    const rows = await tx.query(
      `update rtc.call_logs set in_room = ?,
         joined_at = case when ? then coalesce(joined_at, now()) else joined_at end,
         left_at = case when ? then left_at else now() end, presence_at = now()
       where call_id = ? and user_id = ? returning user_id`,
      [inRoom, inRoom, inRoom, callId, userId],
    );
    return rows.length > 0;
  },

  /** Calls whose callees still ring past the deadline (skip locked: one replica takes each). */
  async dueRinging(tx: SqlExecutor, limit: number): Promise<CallRow[]> {
    return tx.query<CallRow>(
      `select ${CALL_COLUMNS} from rtc.call_sessions s where end_time is null and ring_deadline <= now()
         and exists (select 1 from rtc.call_logs l where l.call_id = s.call_id and l.state = 'ringing')
       order by ring_deadline limit ? for update skip locked`,
      [limit],
    );
  },

  /** Callees of the call still ringing: now they missed it, and their lines are free. */
  async missRinging(tx: SqlExecutor, callId: string): Promise<string[]> {
    const rows = await tx.query<{ user_id: string }>(
      `update rtc.call_logs set state = 'missed' where call_id = ? and state = 'ringing' returning user_id::text`,
      [callId],
    );
    await tx.query(
      `delete from rtc.call_lines where call_id = ? and user_id in (select x::bigint from jsonb_array_elements_text(?::jsonb) x)`,
      [callId, ids(rows.map((row) => row.user_id))],
    );
    return rows.map((row) => row.user_id);
  },

  /** Users of the call who still take part (ringing or in it). */
  async active(tx: SqlExecutor, callId: string): Promise<LogRow[]> {
    return tx.query<LogRow>(
      `select ${LOG_COLUMNS} from rtc.call_logs where call_id = ? and state in ('ringing', 'accepted')`,
      [callId],
    );
  },

  /** Ended calls whose record message or room removal is still to do. */
  async unsettled(sql: SqlExecutor, limit: number): Promise<CallRow[]> {
    return sql.query<CallRow>(
      `select ${CALL_COLUMNS} from rtc.call_sessions
       where end_time is not null and (record_message_id is null or not room_closed)
       order by end_time limit ?`,
      [limit],
    );
  },

  async recordPosted(sql: SqlExecutor, callId: string, messageId: string): Promise<void> {
    await sql.query('update rtc.call_sessions set record_message_id = ? where call_id = ?', [
      messageId,
      callId,
    ]);
  },

  async roomClosed(sql: SqlExecutor, callId: string): Promise<void> {
    await sql.query('update rtc.call_sessions set room_closed = true where call_id = ?', [callId]);
  },

  /** Connected calls answered more than `minAgeSeconds` ago (to check that their room still exists). */
  async connectedSince(sql: SqlExecutor, minAgeSeconds: number, limit: number): Promise<CallRow[]> {
    return sql.query<CallRow>(
      `select ${CALL_COLUMNS} from rtc.call_sessions where status = 'connected' and end_time is null
         and start_time < now() - make_interval(secs => ?) order by start_time limit ?`,
      [minAgeSeconds, limit],
    );
  },

  /** A user's call log, newest first. */
  async history(
    sql: SqlExecutor,
    userId: string,
    beforeCallId: string | undefined,
    limit: number,
  ): Promise<Array<CallRow & { role: LogRow['role']; state: UserState }>> {
    return sql.query(
      `select ${callColumns('s.')}, l.role, l.state
       from rtc.call_logs l join rtc.call_sessions s on s.call_id = l.call_id
       where l.user_id = ? and (?::bigint is null or l.call_id < ?::bigint)
       order by l.call_id desc limit ?`,
      [userId, beforeCallId ?? null, beforeCallId ?? null, limit],
    );
  },
};
