import type { SqlExecutor } from '../../platform/db/index.ts';
import { AppError, ErrorCode, isAppError } from '../../platform/errors.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { Outbox, PendingEvent } from '../../platform/outbox.ts';
import type { RtcConfig } from '../../platform/rtc-config.ts';
import type { Principal } from '../../platform/security/principal.ts';
import type { Directory } from '../clients/directory.ts';
import { rtcFigures } from '../metrics.ts';
import { type CallRow, CallStore, type CallType, type LogRow } from './call-store.ts';
import type { LiveKit, LiveParticipant } from './livekit.ts';
import { CallNotice } from './notices.ts';

export interface CallsDeps {
  sql: SqlExecutor;
  outbox: Outbox;
  ids: SnowflakeGenerator;
  directory: Directory;
  /** Undefined when LiveKit is not configured: every call route answers 100111. */
  livekit: LiveKit | undefined;
  settings: RtcConfig;
  /** One-to-one calls between users who are not friends (MESSAGE_ALLOW_STRANGERS). */
  allowStrangers: boolean;
  /** Runs once a call has ended and committed: its record and room removal. */
  ended: (callId: string) => void;
}

export interface Invitation {
  userId?: string | undefined;
  groupId?: string | undefined;
  /** Group calls: the members to ring (all members when absent). */
  userIds?: string[] | undefined;
  callType: CallType;
}

export interface JoinTicket {
  callId: string;
  roomName: string;
  url: string;
  token: string;
  expiresIn: number;
}

/** One transaction: its SQL, the notices it stores, the calls it ended (settled after commit), its figures. */
interface Tx {
  sql: SqlExecutor;
  events: PendingEvent[];
  ended: string[];
  /** Metrics of what it changed, counted once it has committed. */
  figures: Array<() => void>;
}

/** Seconds a room waits for its first participant beyond the ring time. */
const ROOM_GRACE_SECONDS = 120;

/**
 * Calls (seed §4.10, §5.1.8): invite, answer, reject, hang up, tokens, state. Every change is one
 * transaction that also stores its notices (outbox); a user's line (call_lines) is taken when the
 * call rings for them and freed when their part ends, so a second invitation finds it busy.
 */
export class Calls {
  readonly #d: CallsDeps;

  constructor(deps: CallsDeps) {
    this.#d = deps;
  }

  async invite(caller: Principal, input: Invitation): Promise<JoinTicket & { busy: string[] }> {
    const livekit = this.#livekit();
    try {
      return await this.#invite(livekit, caller, input);
    } catch (error) {
      // A refusal (busy, not friends) is the caller's answer; a fault is a call that failed to set up.
      if (!isAppError(error) || error.status >= 500) rtcFigures.callSetupFailed(input.callType);
      throw error;
    }
  }

  async #invite(
    livekit: LiveKit,
    caller: Principal,
    input: Invitation,
  ): Promise<JoinTicket & { busy: string[] }> {
    const callees = await this.#callees(caller.userId, input);
    const callId = this.#d.ids.next();
    const roomName = `call_${callId}`;
    const profile = await this.#d.directory.profile(caller.userId);
    // The room first: a call that fails to be stored leaves only an empty room, which LiveKit removes.
    await livekit.createRoom(roomName, {
      emptyTimeoutSeconds: this.#d.settings.ringTimeoutSeconds + ROOM_GRACE_SECONDS,
      maxParticipants: callees.length + 1,
    });
    const busy = await this.#commit(async (t) => {
      if ((await CallStore.claimLines(t.sql, callId, [caller.userId])).size === 0)
        throw new AppError(ErrorCode.CALLEE_BUSY, { detail: 'you are already in a call' });
      const free = await CallStore.claimLines(t.sql, callId, callees);
      if (free.size === 0) throw new AppError(ErrorCode.CALLEE_BUSY, { data: { busy: callees } });
      const call = await CallStore.insertCall(t.sql, {
        callId,
        callType: input.callType,
        callerId: caller.userId,
        calleeId: input.groupId ? null : callees[0]!,
        groupId: input.groupId ?? null,
        roomName,
        ringSeconds: this.#d.settings.ringTimeoutSeconds,
      });
      await CallStore.insertLogs(t.sql, callId, [
        { userId: caller.userId, role: 'caller', state: 'accepted', deviceId: caller.deviceId },
        ...callees.map((userId) => ({
          userId,
          role: 'callee' as const,
          state: free.has(userId) ? ('ringing' as const) : ('busy' as const),
          deviceId: null,
        })),
      ]);
      t.events.push(CallNotice.invited(call, profile, [...free]));
      t.figures.push(() => rtcFigures.callStarted(call));
      return callees.filter((userId) => !free.has(userId));
    });
    return {
      ...(await this.#ticket(callId, roomName, caller.userId, profile.nickname, input.callType)),
      busy,
    };
  }

  async accept(user: Principal, callId: string): Promise<JoinTicket> {
    this.#livekit();
    const call = await this.#commit(async (t) => {
      const { call, log } = await this.#locked(t.sql, callId, user.userId);
      if (log.state === 'accepted' && log.device_id === user.deviceId) return call;
      if (log.state === 'accepted') throw new AppError(ErrorCode.CALL_ANSWERED_ELSEWHERE);
      if (call.end_time || log.state !== 'ringing') throw new AppError(ErrorCode.CALL_ENDED);
      await CallStore.setState(t.sql, callId, user.userId, 'accepted', user.deviceId);
      await CallStore.connect(t.sql, callId);
      if (call.status === 'ringing') t.figures.push(() => rtcFigures.callAnswered(call));
      const recipients = (await CallStore.active(t.sql, callId)).map((l) => l.user_id);
      t.events.push(CallNotice.accepted(call, user.userId, recipients, user));
      return call;
    });
    const profile = await this.#d.directory.profile(user.userId);
    return this.#ticket(call.call_id, call.room_name, user.userId, profile.nickname, call.call_type);
  }

  async reject(user: Principal, callId: string, reason: 'busy' | 'reject'): Promise<void> {
    this.#livekit();
    await this.#commit(async (t) => {
      const { call, log } = await this.#locked(t.sql, callId, user.userId);
      if (call.end_time || log.state !== 'ringing') throw new AppError(ErrorCode.CALL_ENDED);
      await this.#decline(t, call, user, reason);
    });
  }

  /**
   * Hangs up: the caller of a call still ringing cancels it; a callee still ringing rejects it; in
   * a one-to-one call either side ends it; in a group call the user leaves, and the call ends with
   * its last participant. A call already over answers its duration again.
   */
  async hangup(user: Principal, callId: string): Promise<{ duration: number }> {
    this.#livekit();
    const call = await this.#commit(async (t) => {
      const { call, log } = await this.#locked(t.sql, callId, user.userId);
      if (call.end_time) return call;
      if (log.state === 'ringing') return (await this.#decline(t, call, user, 'reject')) ?? call;
      if (log.state !== 'accepted') throw new AppError(ErrorCode.CALL_ENDED);
      if (!call.group_id || (log.role === 'caller' && call.status === 'ringing')) {
        const status = call.status === 'ringing' ? 'cancelled' : 'ended';
        return (
          (await this.#finish(t, callId, status, status === 'cancelled' ? 'cancelled' : 'hangup')) ?? call
        );
      }
      await CallStore.setState(t.sql, callId, user.userId, 'left');
      await CallStore.releaseLine(t.sql, callId, user.userId);
      const remaining = await CallStore.active(t.sql, callId);
      if (!remaining.some((l) => l.state === 'accepted'))
        return (
          (await this.#finish(t, callId, call.status === 'ringing' ? 'cancelled' : 'ended', 'hangup')) ?? call
        );
      t.events.push(
        CallNotice.left(
          call,
          user.userId,
          'left',
          remaining.map((l) => l.user_id),
        ),
      );
      return call;
    });
    return { duration: call.duration ?? 0 };
  }

  /** A fresh token for a call the user is in (a device that reconnects, or takes the call over). */
  async token(user: Principal, callId: string): Promise<JoinTicket> {
    this.#livekit();
    const { call, log } = await this.#visible(callId, user.userId);
    if (call.end_time) throw new AppError(ErrorCode.CALL_ENDED);
    if (log.state !== 'accepted')
      throw new AppError(ErrorCode.FORBIDDEN, { detail: 'answer the call before joining it' });
    const profile = await this.#d.directory.profile(user.userId);
    return this.#ticket(call.call_id, call.room_name, user.userId, profile.nickname, call.call_type);
  }

  /** The call, each participant's part and, while it is live, their tracks as LiveKit has them. */
  async get(
    user: Principal,
    callId: string,
  ): Promise<{ call: CallRow; logs: LogRow[]; live: LiveParticipant[] }> {
    const livekit = this.#livekit();
    const { call } = await this.#visible(callId, user.userId);
    const logs = await CallStore.logs(this.#d.sql, callId);
    const live = call.end_time ? [] : await livekit.participants(call.room_name);
    return { call, logs, live };
  }

  async history(user: Principal, beforeCallId: string | undefined, limit: number) {
    this.#livekit();
    return CallStore.history(this.#d.sql, user.userId, beforeCallId, limit);
  }

  /** Ends the call now (a hangup, the last participant gone, the room closed): once, whoever comes first. */
  async finishNow(callId: string, status: 'ended' | 'missed' | 'cancelled', reason: string): Promise<void> {
    await this.#commit((t) => this.#finish(t, callId, status, reason));
  }

  /**
   * Callees who did not answer in time missed the call (due rows, swept: a restart loses none); a
   * call nobody answered is a missed call. Answers how many calls were due.
   */
  async expireRinging(limit: number): Promise<number> {
    return this.#commit(async (t) => {
      const due = await CallStore.dueRinging(t.sql, limit);
      for (const call of due) {
        const missed = await CallStore.missRinging(t.sql, call.call_id);
        if (call.status === 'ringing') {
          await this.#finish(t, call.call_id, 'missed', 'timeout');
          continue;
        }
        const remaining = (await CallStore.active(t.sql, call.call_id)).map((l) => l.user_id);
        for (const userId of missed)
          t.events.push(CallNotice.left(call, userId, 'missed', [...remaining, userId]));
      }
      return due.length;
    });
  }

  /**
   * LiveKit's account of who is in a call's room (webhooks): a participant joined or left, or the
   * room closed. A call in progress ends when its last participant leaves or its room closes.
   */
  async roomEvent(
    kind: 'joined' | 'left' | 'room_finished',
    roomName: string,
    identity: string | undefined,
  ): Promise<void> {
    const callId = /^call_(\d{1,19})$/.exec(roomName)?.[1];
    if (!callId) return;
    await this.#commit(async (t) => {
      const call = await CallStore.lockCall(t.sql, callId);
      if (!call || call.end_time) return;
      if (kind !== 'room_finished' && identity)
        await CallStore.presence(t.sql, callId, identity, kind === 'joined');
      if (call.status !== 'connected' || kind === 'joined') return;
      if (kind === 'room_finished' || !(await CallStore.anyoneInRoom(t.sql, callId)))
        await this.#finish(t, callId, 'ended', kind === 'room_finished' ? 'room_closed' : 'left');
    });
  }

  async #decline(
    t: Tx,
    call: CallRow,
    user: Principal,
    reason: 'busy' | 'reject',
  ): Promise<CallRow | undefined> {
    await CallStore.setState(t.sql, call.call_id, user.userId, reason === 'busy' ? 'busy' : 'rejected');
    await CallStore.releaseLine(t.sql, call.call_id, user.userId);
    const remaining = await CallStore.active(t.sql, call.call_id);
    t.events.push(
      CallNotice.rejected(call, user.userId, reason, [...remaining.map((l) => l.user_id), user.userId], user),
    );
    // Nobody left to answer and nobody talking: the call is over.
    if (!remaining.some((l) => l.role === 'callee')) {
      if (call.status === 'ringing') return this.#finish(t, call.call_id, 'rejected', reason);
      if (!remaining.some((l) => l.state === 'accepted'))
        return this.#finish(t, call.call_id, 'ended', 'hangup');
    }
    return undefined;
  }

  async #finish(
    t: Tx,
    callId: string,
    status: 'ended' | 'missed' | 'cancelled' | 'rejected',
    reason: string,
  ): Promise<CallRow | undefined> {
    const before = await CallStore.logs(t.sql, callId);
    const ended = await CallStore.finish(t.sql, callId, status, reason);
    if (!ended) return undefined;
    t.events.push(
      CallNotice.ended(
        ended,
        before.map((l) => l.user_id),
      ),
    );
    t.ended.push(callId);
    t.figures.push(() => rtcFigures.callEnded(ended));
    return ended;
  }

  /** One transaction with its notices; ended calls are settled once it has committed. */
  async #commit<T>(work: (t: Tx) => Promise<T>): Promise<T> {
    const ended: string[] = [];
    const figures: Array<() => void> = [];
    const { result, stored } = await this.#d.sql.transaction(async (sql) => {
      const t: Tx = { sql, events: [], ended, figures };
      const value = await work(t);
      return { result: value, stored: await this.#d.outbox.store(sql, t.events) };
    });
    for (const count of figures) count();
    await this.#d.outbox.publish(stored);
    for (const callId of ended) this.#d.ended(callId);
    return result;
  }

  async #locked(tx: SqlExecutor, callId: string, userId: string): Promise<{ call: CallRow; log: LogRow }> {
    const call = await CallStore.lockCall(tx, callId);
    const log = call && (await CallStore.logs(tx, callId)).find((l) => l.user_id === userId);
    if (!call || !log) throw new AppError(ErrorCode.CALL_NOT_FOUND);
    return { call, log };
  }

  async #visible(callId: string, userId: string): Promise<{ call: CallRow; log: LogRow }> {
    const call = await CallStore.call(this.#d.sql, callId);
    const log = call && (await CallStore.logs(this.#d.sql, callId)).find((l) => l.user_id === userId);
    if (!call || !log) throw new AppError(ErrorCode.CALL_NOT_FOUND);
    return { call, log };
  }

  async #callees(callerId: string, input: Invitation): Promise<string[]> {
    if (input.userId) {
      if (input.userId === callerId)
        throw new AppError(ErrorCode.INVALID_PARAMS, { detail: 'you cannot call yourself' });
      const relation = await this.#d.directory.relation(callerId, input.userId);
      if (relation.blockedByPeer || relation.blocking) throw new AppError(ErrorCode.MESSAGE_BLOCKED);
      if (!relation.isFriend && !this.#d.allowStrangers) throw new AppError(ErrorCode.MESSAGE_NOT_FRIEND);
      return [input.userId];
    }
    const group = await this.#d.directory.group(input.groupId!, callerId);
    if (!group.member) throw new AppError(ErrorCode.GROUP_NOT_MEMBER);
    const members = new Set(group.memberIds);
    const chosen = input.userIds ?? group.memberIds;
    const outsider = chosen.find((userId) => !members.has(userId));
    if (outsider)
      throw new AppError(ErrorCode.GROUP_NOT_MEMBER, {
        detail: `user ${outsider} is not a member of the group`,
      });
    const callees = [...new Set(chosen)].filter((userId) => userId !== callerId);
    const max = this.#d.settings.groupCallMaxParticipants - 1;
    if (callees.length === 0)
      throw new AppError(ErrorCode.INVALID_PARAMS, { detail: 'nobody else in the group to call' });
    if (callees.length > max)
      throw new AppError(ErrorCode.INVALID_PARAMS, {
        detail: `a group call rings at most ${max} members; name them in userIds`,
      });
    return callees;
  }

  async #ticket(
    callId: string,
    roomName: string,
    userId: string,
    name: string,
    callType: CallType,
  ): Promise<JoinTicket> {
    const livekit = this.#livekit();
    const ttlSeconds = this.#d.settings.tokenTtlSeconds;
    const token = await livekit.token({
      room: roomName,
      identity: userId,
      name,
      sources: callType === 'video' ? ['microphone', 'camera'] : ['microphone'],
      ttlSeconds,
    });
    return { callId, roomName, url: livekit.url, token, expiresIn: ttlSeconds };
  }

  #livekit(): LiveKit {
    if (!this.#d.livekit) throw new AppError(ErrorCode.CALLS_NOT_CONFIGURED);
    return this.#d.livekit;
  }
}
