export type { CallRow, CallStatus, CallType, LogRow, UserState } from './call-store.ts';
export { Calls, type CallsDeps, type Invitation, type JoinTicket } from './calls.ts';
export { Egress, type EgressOutcome, outcomeOf, type RecordingTarget } from './egress.ts';
export { LiveKit, type LiveParticipant, type PublishSource } from './livekit.ts';
export { type MeetingRow, type MeetingSettings, Meetings } from './meetings.ts';
export { CallNotice, recordOf } from './notices.ts';
export { type RecordingRow, type RecordingStatus, Recordings } from './recordings.ts';
export { CallSettlement } from './settlement.ts';
export { type CallStatistics, RtcStatistics } from './statistics.ts';
