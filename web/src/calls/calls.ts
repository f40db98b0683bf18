import { reactive, shallowReactive } from 'vue';
import { ApiError, deviceId } from '../api/http.ts';
import type { Conversation } from '../api/types.ts';
import { state } from '../store.ts';
import * as api from './api.ts';
import type { GoneReason, MediaRoom, MediaView } from './media-room.ts';

/** A call ringing on this device (NOTIFICATION call.invited). */
export interface Ringing {
  callId: string;
  callType: api.CallType;
  callerName: string;
  groupId: string | null;
  expiresAt: number;
}

/** The call or meeting this tab is in. */
export interface ActiveCall {
  kind: 'call' | 'meeting';
  /** callId or meetingId. */
  id: string;
  callType: api.CallType;
  title: string;
  /** calling: the others are still being rung; connected: someone answered (a meeting: joined). */
  phase: 'calling' | 'connected';
  connectedAt: number | null;
  /** Meetings: who may mute and remove. */
  hostId: string | null;
  /** A group call: one member declining does not end it. */
  group: boolean;
}

/** What just happened, shown until the next call or for a while: declined, missed, ended… */
export type CallNoticeKind =
  | 'ended'
  | 'declined'
  | 'busy'
  | 'noAnswer'
  | 'cancelled'
  | 'missed'
  | 'elsewhere'
  | 'meetingEnded'
  | 'removed'
  | 'lost';

const NOTICE_MS = 15_000;

export const calls = reactive({
  ringing: [] as Ringing[],
  active: null as ActiveCall | null,
  notice: null as { kind: CallNoticeKind; duration: number; name: string } | null,
  /** The server's words when a call or meeting could not start (calls not configured: 100111…). */
  error: '',
  /** The server said calls are not configured: the call buttons hide. */
  unavailable: false,
  busy: false,
  meetingsOpen: false,
});

/** The room as the call screen shows it, written by media-room.ts (shallow: tracks stay LiveKit's own objects). */
export const media = shallowReactive<MediaView>({ peers: [], micOn: false, cameraOn: false });

let room: MediaRoom | null = null;
/** The call the screen shows or showed until its room closed: its call.ended still says how it ended. */
let shownCallId: string | null = null;
let noticeTimer: ReturnType<typeof setTimeout> | undefined;
const ringTimers = new Map<string, ReturnType<typeof setTimeout>>();

function tell(kind: CallNoticeKind, duration = 0, name = '') {
  calls.notice = { kind, duration, name };
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => {
    calls.notice = null;
  }, NOTICE_MS);
}

function failed(error: unknown) {
  calls.error = error instanceof Error ? error.message : String(error);
  if (error instanceof ApiError && error.code === 100111) calls.unavailable = true;
}

function stopRinging(callId: string): Ringing | undefined {
  clearTimeout(ringTimers.get(callId));
  ringTimers.delete(callId);
  const ringing = calls.ringing.find((r) => r.callId === callId);
  calls.ringing = calls.ringing.filter((r) => r.callId !== callId);
  return ringing;
}

/** Joins the room of a ticket; livekit-client is fetched now, the first time only. */
async function enter(ticket: api.JoinTicket, options: { video: boolean; muted: boolean }) {
  const { joinRoom } = await import('./media-room.ts');
  room = await joinRoom(ticket, options, media, onGone);
}

function onGone(reason: GoneReason) {
  const active = calls.active;
  room = null;
  closeScreen();
  if (!active) return;
  if (active.kind === 'meeting')
    tell(reason === 'removed' ? 'removed' : reason === 'closed' ? 'meetingEnded' : 'lost');
  else if (reason !== 'closed') {
    shownCallId = null;
    tell('lost');
  }
}

function closeScreen() {
  calls.active = null;
  media.peers = [];
  media.micOn = false;
  media.cameraOn = false;
}

async function leaveRoom() {
  const current = room;
  room = null;
  closeScreen();
  await current?.leave().catch(() => {});
}

/** Starts a call from a conversation: a friend in a one-to-one chat, a group's members in a group. */
export async function startCall(conversation: Conversation, callType: api.CallType): Promise<void> {
  if (calls.active || calls.busy) return;
  calls.error = '';
  calls.notice = null;
  calls.busy = true;
  try {
    const target =
      conversation.sessionType === 'group'
        ? { groupId: conversation.targetId }
        : { userId: conversation.targetId };
    const ticket = await api.invite(target, callType);
    calls.active = {
      kind: 'call',
      id: ticket.callId,
      callType,
      title: conversation.name ?? conversation.targetId,
      phase: 'calling',
      connectedAt: null,
      hostId: null,
      group: conversation.sessionType === 'group',
    };
    shownCallId = ticket.callId;
    await enter(ticket, { video: callType === 'video', muted: false });
  } catch (error) {
    failed(error);
    // Rung but could not join (no microphone, LiveKit unreachable): the others stop ringing.
    const active = calls.active;
    if (active) {
      await leaveRoom();
      await api.hangup(active.id).catch(() => {});
    }
  } finally {
    calls.busy = false;
  }
}

export async function acceptCall(ringing: Ringing): Promise<void> {
  stopRinging(ringing.callId);
  calls.error = '';
  calls.notice = null;
  try {
    const ticket = await api.accept(ringing.callId);
    calls.active = {
      kind: 'call',
      id: ringing.callId,
      callType: ringing.callType,
      title: ringing.callerName,
      phase: 'connected',
      connectedAt: Date.now(),
      hostId: null,
      group: ringing.groupId !== null,
    };
    shownCallId = ringing.callId;
    await enter(ticket, { video: ringing.callType === 'video', muted: false });
  } catch (error) {
    if (error instanceof ApiError && error.code === 100112) tell('elsewhere');
    else if (error instanceof ApiError && error.code === 100102) tell('missed', 0, ringing.callerName);
    else failed(error);
    const active = calls.active;
    if (active) {
      await leaveRoom();
      await api.hangup(active.id).catch(() => {});
    }
  }
}

export async function rejectCall(ringing: Ringing): Promise<void> {
  stopRinging(ringing.callId);
  // Already over (cancelled, answered elsewhere): nothing left to refuse.
  await api.reject(ringing.callId).catch(() => {});
}

/** Hangs up a call (the caller of a call still ringing cancels it) or leaves a meeting. */
export async function hangUp(): Promise<void> {
  const active = calls.active;
  if (!active) return;
  await leaveRoom();
  if (active.kind === 'meeting') return;
  shownCallId = null;
  const { duration } = await api.hangup(active.id).catch(() => ({ duration: 0 }));
  // Leaving a group call that goes on without me: nothing has ended (its duration is still 0).
  if (active.group && active.phase === 'connected' && duration === 0) return;
  tell(active.phase === 'connected' ? 'ended' : 'cancelled', duration);
}

export async function setMicrophone(on: boolean): Promise<void> {
  await room?.setMicrophone(on).catch(failed);
}

export async function setCamera(on: boolean): Promise<void> {
  await room?.setCamera(on).catch(failed);
}

// ---- meetings ----

async function enterMeeting(meeting: api.Meeting, password: string | undefined) {
  const ticket = await api.joinMeeting(meeting.meetingId, password);
  calls.active = {
    kind: 'meeting',
    id: meeting.meetingId,
    callType: 'video',
    title: meeting.title,
    phase: 'connected',
    connectedAt: Date.now(),
    hostId: meeting.hostId,
    group: true,
  };
  calls.meetingsOpen = false;
  await enter(ticket, { video: false, muted: ticket.muteOnJoin });
}

async function meetingAction(work: () => Promise<void>): Promise<void> {
  if (calls.active || calls.busy) return;
  calls.error = '';
  calls.notice = null;
  calls.busy = true;
  try {
    await work();
  } catch (error) {
    failed(error);
    await leaveRoom();
  } finally {
    calls.busy = false;
  }
}

/** Creates a meeting (I am its host) and joins it. */
export function createMeeting(title: string, password: string): Promise<void> {
  return meetingAction(async () => {
    const meeting = await api.createMeeting(title, password || undefined);
    await enterMeeting(meeting, password || undefined);
  });
}

export function joinMeeting(meetingId: string, password: string): Promise<void> {
  return meetingAction(async () => {
    // The password is checked by joining; the meeting's title and host come after.
    const ticket = await api.joinMeeting(meetingId, password || undefined);
    const meeting = await api.meeting(meetingId);
    calls.active = {
      kind: 'meeting',
      id: meetingId,
      callType: 'video',
      title: meeting.title,
      phase: 'connected',
      connectedAt: Date.now(),
      hostId: meeting.hostId,
      group: true,
    };
    calls.meetingsOpen = false;
    await enter(ticket, { video: false, muted: ticket.muteOnJoin });
  });
}

/** Host controls; the server refuses them to anyone else. */
export async function hostAction(action: 'mute' | 'muteAll' | 'remove' | 'end', userId = ''): Promise<void> {
  const active = calls.active;
  if (active?.kind !== 'meeting') return;
  calls.error = '';
  try {
    if (action === 'mute') await api.muteInMeeting(active.id, userId);
    else if (action === 'muteAll') await api.muteInMeeting(active.id);
    else if (action === 'remove') await api.removeFromMeeting(active.id, userId);
    else {
      await api.endMeeting(active.id);
      await leaveRoom();
      tell('meetingEnded');
    }
  } catch (error) {
    failed(error);
  }
}

// ---- what the server tells every device (NOTIFICATION call.*) ----

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/**
 * A call notice from the WebSocket. Replayed notices come too (a reconnect resyncs the timeline):
 * an invitation past its ring time never rings, and the later notices of a call settle it.
 */
export function onCallNotice(kind: string, payload: Record<string, unknown>): void {
  const callId = text(payload.callId);
  const me = state.me?.userId;
  if (!callId || !me) return;
  const active = calls.active?.kind === 'call' && calls.active.id === callId ? calls.active : null;
  switch (kind) {
    case 'call.invited': {
      const caller = (payload.caller ?? {}) as { userId?: string; nickname?: string };
      const expiresAt = Date.parse(text(payload.expiresAt));
      if (caller.userId === me || active || calls.ringing.some((r) => r.callId === callId)) return;
      if (!(expiresAt > Date.now())) return;
      calls.ringing.push({
        callId,
        callType: payload.callType === 'video' ? 'video' : 'audio',
        callerName: caller.nickname || caller.userId || '',
        groupId: text(payload.groupId) || null,
        expiresAt,
      });
      // The server ends a call nobody answered; this only stops a ring whose ending never reaches us.
      ringTimers.set(
        callId,
        setTimeout(() => stopRinging(callId), expiresAt - Date.now() + 10_000),
      );
      return;
    }
    case 'call.accepted': {
      const userId = text(payload.userId);
      if (userId === me) {
        // Answered on another device of mine: this one stops ringing.
        if (text(payload.deviceId) !== deviceId() && stopRinging(callId)) tell('elsewhere');
        return;
      }
      if (active && active.phase === 'calling') {
        active.phase = 'connected';
        active.connectedAt = Date.now();
      }
      return;
    }
    case 'call.rejected': {
      const userId = text(payload.userId);
      if (userId === me) stopRinging(callId);
      else if (active && active.phase === 'calling' && !active.group)
        tell(payload.reason === 'busy' ? 'busy' : 'declined', 0, active.title);
      return;
    }
    case 'call.left':
      if (text(payload.userId) === me && stopRinging(callId)) tell('missed');
      return;
    case 'call.ended': {
      const ringing = stopRinging(callId);
      const status = text(payload.status);
      const duration = Number(payload.duration) || 0;
      if (ringing && (status === 'missed' || status === 'cancelled')) tell('missed', 0, ringing.callerName);
      // Our own hangup told its outcome already; a room closed first leaves the telling to this notice.
      if (callId !== shownCallId) return;
      shownCallId = null;
      const title = active?.title ?? '';
      if (active) void leaveRoom();
      if (status === 'rejected') {
        if (calls.notice?.kind !== 'busy') tell('declined', 0, title);
      } else if (status === 'missed') tell('noAnswer', 0, title);
      else if (status === 'cancelled') tell('cancelled');
      else tell('ended', duration);
      return;
    }
  }
}
