import { type Origin, timelineAppend } from '../../platform/contracts/index.ts';
import type { PendingEvent } from '../../platform/outbox.ts';
import type { Profile, RecordMessage } from '../clients/directory.ts';
import type { CallRow } from './call-store.ts';

/**
 * The NOTIFICATION kinds of calls (seed §4.10's call_invite, call_status, call_rejected), each
 * appended to the recipients' sync timelines through the outbox: devices online get it at once,
 * the others on sync, and the push service sends `call.invited` to devices that are not connected.
 * A notice made by a device (an answer, a rejection) names it as originDeviceId: that device
 * gets it too (timelines are gap-free), and can tell its own action apart.
 */
export const CallNotice = {
  invited(call: CallRow, caller: Profile, recipients: string[]): PendingEvent {
    return timelineAppend({
      eventId: `call.invited:${call.call_id}`,
      kind: 'call.invited',
      recipients,
      payload: {
        callId: call.call_id,
        callType: call.call_type,
        roomName: call.room_name,
        groupId: call.group_id,
        caller: { userId: caller.userId, nickname: caller.nickname, avatar: caller.avatar },
        expiresAt: new Date(call.ring_deadline).toISOString(),
      },
    });
  },

  /** Someone answered: the caller's screen connects, and the answerer's other devices stop ringing. */
  accepted(call: CallRow, userId: string, recipients: string[], origin: Origin): PendingEvent {
    return timelineAppend({
      eventId: `call.accepted:${call.call_id}:${userId}`,
      kind: 'call.accepted',
      recipients,
      payload: { callId: call.call_id, userId, deviceId: origin.deviceId },
      origin,
    });
  },

  rejected(
    call: CallRow,
    userId: string,
    reason: string,
    recipients: string[],
    origin: Origin,
  ): PendingEvent {
    return timelineAppend({
      eventId: `call.rejected:${call.call_id}:${userId}`,
      kind: 'call.rejected',
      recipients,
      payload: { callId: call.call_id, userId, reason },
      origin,
    });
  },

  /** A group call goes on without `userId` (left, or missed it). */
  left(call: CallRow, userId: string, state: string, recipients: string[]): PendingEvent {
    return timelineAppend({
      eventId: `call.left:${call.call_id}:${userId}:${state}`,
      kind: 'call.left',
      recipients,
      payload: { callId: call.call_id, userId, state },
    });
  },

  /** The call is over for everyone: ringing stops everywhere, screens close. */
  ended(call: CallRow, recipients: string[]): PendingEvent {
    return timelineAppend({
      eventId: `call.ended:${call.call_id}`,
      kind: 'call.ended',
      recipients,
      payload: {
        callId: call.call_id,
        status: call.status,
        reason: call.end_reason,
        duration: call.duration ?? 0,
        endedAt: call.end_time ? new Date(call.end_time).toISOString() : null,
      },
    });
  },
};

/** The record a finished call leaves in its conversation, as sent by the caller. */
export function recordOf(call: CallRow): RecordMessage {
  return {
    callerId: call.caller_id,
    sessionType: call.group_id ? 'group' : 'single',
    targetId: call.group_id ?? call.callee_id!,
    clientMsgId: `call-${call.call_id}`,
    content: {
      callId: call.call_id,
      callType: call.call_type,
      status: call.status,
      reason: call.end_reason ?? '',
      duration: call.duration ?? 0,
      durationMs: Number(call.duration_ms ?? 0),
    },
  };
}
