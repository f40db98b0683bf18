import { http } from '../store.ts';

/** What the call and meeting routes answer to join a LiveKit room (README, "Calls and meetings"). */
export interface JoinTicket {
  roomName: string;
  /** The LiveKit server to connect to: the app learns it here, with each token. */
  url: string;
  token: string;
  expiresIn: number;
}

export type CallType = 'audio' | 'video';

export interface CallTicket extends JoinTicket {
  callId: string;
}

export interface MeetingTicket extends JoinTicket {
  meetingId: string;
  muteOnJoin: boolean;
}

export interface Meeting {
  meetingId: string;
  title: string;
  ownerId: string;
  hostId: string;
  hasPassword: boolean;
  status: 'scheduled' | 'active' | 'ended';
}

/** The content of a `call` message: the record the server leaves in the conversation. */
export interface CallRecordContent {
  callId: string;
  callType: CallType;
  status: 'ended' | 'missed' | 'rejected' | 'cancelled';
  reason: string;
  duration: number;
}

/** Rings a friend (userId) or a group's members (groupId); the caller's own ticket comes back. */
export function invite(
  target: { userId: string } | { groupId: string },
  callType: CallType,
): Promise<CallTicket & { busy: string[] }> {
  return http.call('POST', '/api/v1/calls/invite', { ...target, callType });
}

export function accept(callId: string): Promise<CallTicket> {
  return http.call('PUT', `/api/v1/calls/${callId}/accept`);
}

export function reject(callId: string): Promise<null> {
  return http.call('PUT', `/api/v1/calls/${callId}/reject`, { reason: 'reject' });
}

export function hangup(callId: string): Promise<{ duration: number }> {
  return http.call('PUT', `/api/v1/calls/${callId}/hangup`);
}

export function createMeeting(title: string, password: string | undefined): Promise<Meeting> {
  return http.call('POST', '/api/v1/meetings', { title, ...(password ? { password } : {}) });
}

export function meeting(meetingId: string): Promise<Meeting> {
  return http.get(`/api/v1/meetings/${meetingId}`);
}

export function joinMeeting(meetingId: string, password: string | undefined): Promise<MeetingTicket> {
  return http.call('POST', `/api/v1/meetings/${meetingId}/join`, password ? { password } : {});
}

/** Host: mutes one participant's microphone, or everyone else's when `userId` is absent. */
export function muteInMeeting(meetingId: string, userId?: string): Promise<{ muted: number }> {
  return http.call('POST', `/api/v1/meetings/${meetingId}/mute`, userId ? { userId } : {});
}

export function removeFromMeeting(meetingId: string, userId: string): Promise<null> {
  return http.call('POST', `/api/v1/meetings/${meetingId}/remove`, { userId });
}

export function endMeeting(meetingId: string): Promise<null> {
  return http.call('POST', `/api/v1/meetings/${meetingId}/end`);
}
