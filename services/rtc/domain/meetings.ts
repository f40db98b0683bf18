import { hash, verify } from '@node-rs/argon2';
import type { SqlExecutor } from '../../platform/db/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { RtcConfig } from '../../platform/rtc-config.ts';
import type { Principal } from '../../platform/security/principal.ts';
import type { Directory } from '../clients/directory.ts';
import type { JoinTicket } from './calls.ts';
import type { LiveKit, LiveParticipant, PublishSource } from './livekit.ts';

export interface MeetingSettings {
  muteOnJoin: boolean;
  allowUnmute: boolean;
  allowVideo: boolean;
  hostOnlyScreenShare: boolean;
  hostOnlyInvite: boolean;
}

export interface MeetingRow {
  meeting_id: string;
  title: string;
  room_name: string;
  password_hash: string | null;
  owner_id: string;
  host_id: string;
  max_participants: number;
  settings: MeetingSettings;
  start_time: string | null;
  end_time: string | null;
  status: 'scheduled' | 'active' | 'ended';
  created_at: string;
}

export interface NewMeeting {
  title: string;
  startTime?: Date | undefined;
  password?: string | undefined;
  maxParticipants: number;
  settings: MeetingSettings;
}

const COLUMNS = `meeting_id::text, title, room_name, password_hash, owner_id::text, host_id::text,
  max_participants, settings, start_time, end_time, status, created_at`;

/** Seconds an empty meeting room waits before LiveKit closes it. */
const EMPTY_ROOM_SECONDS = 600;

/** A meeting's LiveKit room, and back (LiveKit's webhooks name the room only). */
const meetingRoom = (meetingId: string) => `meeting_${meetingId}`;
export const meetingOfRoom = (roomName: string) => /^meeting_(\d{1,19})$/.exec(roomName)?.[1];

/**
 * Meetings (seed §4.10): created now or scheduled, with a password and settings; joining checks
 * the password, the size and removals, and answers a token whose grants follow the settings (no
 * microphone for members who may not unmute, no camera when video is off, screen sharing for the
 * host alone when so set). The host mutes one or everyone and removes participants through
 * LiveKit's API, ends the meeting for all, and may hand the host role over.
 */
export class Meetings {
  readonly #sql: SqlExecutor;
  readonly #ids: SnowflakeGenerator;
  readonly #directory: Directory;
  readonly #livekit: LiveKit | undefined;
  readonly #settings: RtcConfig;

  constructor(deps: {
    sql: SqlExecutor;
    ids: SnowflakeGenerator;
    directory: Directory;
    livekit: LiveKit | undefined;
    settings: RtcConfig;
  }) {
    this.#sql = deps.sql;
    this.#ids = deps.ids;
    this.#directory = deps.directory;
    this.#livekit = deps.livekit;
    this.#settings = deps.settings;
  }

  async create(user: Principal, input: NewMeeting): Promise<MeetingRow> {
    this.#lk();
    const meetingId = this.#ids.next();
    const [row] = await this.#sql.query<MeetingRow>(
      `insert into rtc.meeting_rooms (meeting_id, title, room_name, password_hash, owner_id, host_id,
         max_participants, settings, start_time, status)
       values (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?) returning ${COLUMNS}`,
      [
        meetingId,
        input.title,
        meetingRoom(meetingId),
        input.password ? await hash(input.password) : null,
        user.userId,
        user.userId,
        input.maxParticipants,
        JSON.stringify(input.settings),
        input.startTime ?? new Date(),
        input.startTime && input.startTime > new Date() ? 'scheduled' : 'active',
      ],
    );
    return row!;
  }

  async get(meetingId: string): Promise<MeetingRow> {
    this.#lk();
    const [row] = await this.#sql.query<MeetingRow>(
      `select ${COLUMNS} from rtc.meeting_rooms where meeting_id = ?`,
      [meetingId],
    );
    if (!row) throw new AppError(ErrorCode.MEETING_NOT_FOUND);
    return row;
  }

  /** Joins (the password, unless already in), and answers a token by the meeting's settings. */
  async join(user: Principal, meetingId: string, password: string | undefined): Promise<JoinTicket> {
    const livekit = this.#lk();
    const meeting = await this.#open(meetingId);
    const [member] = await this.#sql.query<{ removed: boolean }>(
      'select removed from rtc.meeting_participants where meeting_id = ? and user_id = ?',
      [meetingId, user.userId],
    );
    if (member?.removed)
      throw new AppError(ErrorCode.FORBIDDEN, { detail: 'the host removed you from this meeting' });
    const isHost = meeting.host_id === user.userId;
    if (
      !member &&
      !isHost &&
      meeting.password_hash &&
      !(password && (await verify(meeting.password_hash, password)))
    )
      throw new AppError(ErrorCode.MEETING_WRONG_PASSWORD);
    const present = await livekit.participants(meeting.room_name);
    if (!present.some((p) => p.identity === user.userId) && present.length >= meeting.max_participants)
      throw new AppError(ErrorCode.MEETING_FULL);
    await this.openRoom(meeting);
    await this.#sql.query(
      `insert into rtc.meeting_participants (meeting_id, user_id) values (?, ?) on conflict do nothing`,
      [meetingId, user.userId],
    );
    await this.#sql.query(
      `update rtc.meeting_rooms set status = 'active', start_time = coalesce(start_time, now())
       where meeting_id = ? and status = 'scheduled'`,
      [meetingId],
    );
    return this.#ticket(meeting, user.userId);
  }

  /** Creates the meeting's LiveKit room unless it is open already (joining, recording). */
  async openRoom(meeting: MeetingRow): Promise<void> {
    await this.#lk().createRoom(meeting.room_name, {
      emptyTimeoutSeconds: EMPTY_ROOM_SECONDS,
      maxParticipants: meeting.max_participants,
    });
  }

  /** The meeting, not ended, when `user` hosts it; 000013 for anyone else. */
  hosted(user: Principal, meetingId: string): Promise<MeetingRow> {
    return this.#hosted(user, meetingId);
  }

  /** The meeting, ended or not, for its members (isMember); 100106 for others. */
  async seenBy(user: Principal, meetingId: string): Promise<MeetingRow> {
    const meeting = await this.get(meetingId);
    if (!(await this.isMember(meetingId, user.userId))) throw new AppError(ErrorCode.MEETING_NOT_FOUND);
    return meeting;
  }

  /**
   * Whether `userId` belongs to the meeting now, ended or not: its host; its owner and who joined
   * it, unless the host removed them. False for an unknown meeting. Asks nothing of LiveKit: the
   * file service asks it for the meeting's recordings, which outlive the meeting.
   */
  async isMember(meetingId: string, userId: string): Promise<boolean> {
    const [row] = await this.#sql.query<{ member: boolean }>(
      `select case when m.host_id = ? then true when p.removed then false
         else m.owner_id = ? or p.user_id is not null end as member
       from rtc.meeting_rooms m
       left join rtc.meeting_participants p on p.meeting_id = m.meeting_id and p.user_id = ?
       where m.meeting_id = ?`,
      [userId, userId, userId, meetingId],
    );
    return row?.member === true;
  }

  /** A fresh token for someone who joined (and was not removed). */
  async token(user: Principal, meetingId: string): Promise<JoinTicket> {
    const meeting = await this.#open(meetingId);
    await this.#participant(meetingId, user.userId);
    return this.#ticket(meeting, user.userId);
  }

  async participants(
    user: Principal,
    meetingId: string,
  ): Promise<{ meeting: MeetingRow; live: LiveParticipant[] }> {
    const meeting = await this.get(meetingId);
    await this.#participant(meetingId, user.userId);
    return { meeting, live: meeting.end_time ? [] : await this.#lk().participants(meeting.room_name) };
  }

  /** The host mutes one participant's microphone, or everyone's but their own. */
  async mute(user: Principal, meetingId: string, userId: string | undefined): Promise<number> {
    const meeting = await this.#hosted(user, meetingId);
    const livekit = this.#lk();
    const targets = userId
      ? [userId]
      : (await livekit.participants(meeting.room_name))
          .map((p) => p.identity)
          .filter((id) => id !== user.userId);
    return livekit.muteMicrophones(meeting.room_name, new Set(targets));
  }

  async remove(user: Principal, meetingId: string, userId: string): Promise<void> {
    const meeting = await this.#hosted(user, meetingId);
    if (userId === user.userId)
      throw new AppError(ErrorCode.INVALID_PARAMS, { detail: 'hand the host role over first' });
    await this.#sql.query(
      `insert into rtc.meeting_participants (meeting_id, user_id, removed) values (?, ?, true)
       on conflict (meeting_id, user_id) do update set removed = true`,
      [meetingId, userId],
    );
    await this.#lk().removeParticipant(meeting.room_name, userId);
  }

  async handOver(user: Principal, meetingId: string, userId: string): Promise<void> {
    await this.#hosted(user, meetingId);
    await this.#participant(meetingId, userId);
    await this.#sql.query('update rtc.meeting_rooms set host_id = ? where meeting_id = ?', [
      userId,
      meetingId,
    ]);
  }

  /** Ends the meeting for everyone: the room closes and nobody joins again. */
  async end(user: Principal, meetingId: string): Promise<void> {
    const meeting = await this.#hosted(user, meetingId);
    await this.#close(meeting);
  }

  /**
   * The platform's administrator ends a meeting for everyone, whoever hosts it (the admin
   * service asks through RtcAdminService): 100107 when it has ended already, also when another
   * end got there first. Answers the meeting and how many were in its room.
   */
  async endByAdmin(meetingId: string): Promise<{ meeting: MeetingRow; participants: number }> {
    const meeting = await this.#open(meetingId);
    const participants = (await this.#lk().participants(meeting.room_name)).length;
    if (!(await this.#close(meeting))) throw new AppError(ErrorCode.MEETING_ENDED);
    return { meeting, participants };
  }

  /**
   * LiveKit closed a meeting's room: its last participant left (and the departure timeout passed)
   * or nobody came within the empty timeout. The meeting is over then, as a call is: left
   * "active", it could be rejoined forever and its running time would grow without anyone in it.
   */
  async roomFinished(roomName: string): Promise<void> {
    const meetingId = meetingOfRoom(roomName);
    if (!meetingId) return;
    await this.#sql.query(
      `update rtc.meeting_rooms set status = 'ended', end_time = now()
       where meeting_id = ? and status = 'active' and end_time is null`,
      [meetingId],
    );
  }

  /** Marks the meeting ended (false when it was already) and closes its room either way. */
  async #close(meeting: MeetingRow): Promise<boolean> {
    const ended = await this.#sql.query(
      `update rtc.meeting_rooms set status = 'ended', end_time = now() where meeting_id = ? and end_time is null
       returning meeting_id`,
      [meeting.meeting_id],
    );
    // Closed even when another end won the row: a room left open by a failed close goes now.
    await this.#lk().deleteRoom(meeting.room_name);
    return ended.length > 0;
  }

  async #open(meetingId: string): Promise<MeetingRow> {
    const meeting = await this.get(meetingId);
    if (meeting.status === 'ended') throw new AppError(ErrorCode.MEETING_ENDED);
    return meeting;
  }

  async #hosted(user: Principal, meetingId: string): Promise<MeetingRow> {
    const meeting = await this.#open(meetingId);
    if (meeting.host_id !== user.userId)
      throw new AppError(ErrorCode.FORBIDDEN, { detail: 'only the host may do this' });
    return meeting;
  }

  async #participant(meetingId: string, userId: string): Promise<void> {
    const [member] = await this.#sql.query<{ removed: boolean }>(
      'select removed from rtc.meeting_participants where meeting_id = ? and user_id = ?',
      [meetingId, userId],
    );
    if (!member || member.removed) throw new AppError(ErrorCode.MEETING_NOT_FOUND);
  }

  async #ticket(meeting: MeetingRow, userId: string): Promise<JoinTicket> {
    const livekit = this.#lk();
    const { settings } = meeting;
    const isHost = meeting.host_id === userId;
    const sources: PublishSource[] = [];
    if (isHost || !settings.muteOnJoin || settings.allowUnmute) sources.push('microphone');
    if (isHost || settings.allowVideo) sources.push('camera');
    if (isHost || !settings.hostOnlyScreenShare) sources.push('screen_share');
    const profile = await this.#directory.profile(userId);
    const ttlSeconds = this.#settings.tokenTtlSeconds;
    const token = await livekit.token({
      room: meeting.room_name,
      identity: userId,
      name: profile.nickname,
      sources,
      ttlSeconds,
    });
    return {
      callId: meeting.meeting_id,
      roomName: meeting.room_name,
      url: livekit.url,
      token,
      expiresIn: ttlSeconds,
    };
  }

  #lk(): LiveKit {
    if (!this.#livekit) throw new AppError(ErrorCode.CALLS_NOT_CONFIGURED);
    return this.#livekit;
  }
}
