import { Counter, Gauge, Histogram } from 'prom-client';
import type { SqlExecutor } from '../platform/db/index.ts';
import type { CallRow, CallType } from './domain/call-store.ts';

const CALL_TYPES: CallType[] = ['audio', 'video'];
const CHAT_TYPES = ['single', 'group'] as const;
/** How a call ended, by its final status: answered (and later ended), declined, missed, cancelled. */
const OUTCOMES = {
  ended: 'answered',
  rejected: 'declined',
  missed: 'missed',
  cancelled: 'cancelled',
} as const;
const RECORDING_RESULTS = ['started', 'completed', 'failed'] as const;

const chatTypeOf = (call: Pick<CallRow, 'group_id'>) => (call.group_id ? 'group' : 'single');

/** Calls invited (stored and ringing), by call type and whether a group was called. */
const callsStarted = new Counter({
  name: 'anychat_rtc_calls_started_total',
  help: 'Calls invited (stored and ringing), by call type and conversation type',
  labelNames: ['call_type', 'chat_type'] as const,
  registers: [],
});

const callsEnded = new Counter({
  name: 'anychat_rtc_calls_ended_total',
  help: 'Calls ended, by call type, conversation type and outcome (answered, declined, missed, cancelled)',
  labelNames: ['call_type', 'chat_type', 'outcome'] as const,
  registers: [],
});

const callSetupFailures = new Counter({
  name: 'anychat_rtc_call_setup_failures_total',
  help: 'Invitations that failed for a fault (LiveKit or the database unreachable), not a refusal such as busy',
  labelNames: ['call_type'] as const,
  registers: [],
});

const ringingDuration = new Histogram({
  name: 'anychat_rtc_call_ringing_duration_seconds',
  help: 'From the invitation to the first answer of an answered call',
  labelNames: ['call_type'] as const,
  buckets: [0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60],
  registers: [],
});

const callDuration = new Histogram({
  name: 'anychat_rtc_call_duration_seconds',
  help: 'Talk time of answered calls, from the first answer to the end',
  labelNames: ['call_type'] as const,
  buckets: [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
  registers: [],
});

const meetingParticipantSeconds = new Counter({
  name: 'anychat_rtc_meeting_participant_seconds_total',
  help: "Time participants spent in meetings' rooms, counted when each leaves (LiveKit's participant_left)",
  registers: [],
});

const recordings = new Counter({
  name: 'anychat_rtc_recordings_total',
  help: 'Meeting recordings started, completed (their file kept) and failed',
  labelNames: ['result'] as const,
  registers: [],
});

// Every label value starts at zero: an outcome nobody had yet reads as 0, not as no series.
for (const call_type of CALL_TYPES) {
  callSetupFailures.inc({ call_type }, 0);
  ringingDuration.zero({ call_type });
  callDuration.zero({ call_type });
  for (const chat_type of CHAT_TYPES) {
    callsStarted.inc({ call_type, chat_type }, 0);
    for (const outcome of Object.values(OUTCOMES)) callsEnded.inc({ call_type, chat_type, outcome }, 0);
  }
}
for (const result of RECORDING_RESULTS) recordings.inc({ result }, 0);

const seconds = (from: string, to: string | null) =>
  Math.max(0, ((to ? new Date(to) : new Date()).getTime() - new Date(from).getTime()) / 1000);

/** What the rtc domain reports as it happens; each is called after its change committed. */
export const rtcFigures = {
  callStarted(call: Pick<CallRow, 'call_type' | 'group_id'>): void {
    callsStarted.inc({ call_type: call.call_type, chat_type: chatTypeOf(call) });
  },
  callSetupFailed(callType: CallType): void {
    callSetupFailures.inc({ call_type: callType });
  },
  /** The first answer: how long the call rang. */
  callAnswered(call: Pick<CallRow, 'call_type' | 'created_at'>): void {
    ringingDuration.observe({ call_type: call.call_type }, seconds(call.created_at, null));
  },
  callEnded(call: CallRow): void {
    if (call.status === 'ringing' || call.status === 'connected') return;
    callsEnded.inc({
      call_type: call.call_type,
      chat_type: chatTypeOf(call),
      outcome: OUTCOMES[call.status],
    });
    if (call.status === 'ended' && call.start_time)
      callDuration.observe({ call_type: call.call_type }, seconds(call.start_time, call.end_time));
  },
  meetingParticipantLeft(seconds: number): void {
    if (Number.isFinite(seconds) && seconds > 0) meetingParticipantSeconds.inc(seconds);
  },
  recording(result: (typeof RECORDING_RESULTS)[number]): void {
    recordings.inc({ result });
  },
};

/**
 * The rtc service's metrics: the counters and histograms above (this process's share: sum them
 * over pods), and calls and meetings going on now, read from the database at scrape time (the
 * same number on every rtc pod: take the max over pods).
 */
export function rtcMetrics(sql: SqlExecutor) {
  const activeCalls = new Gauge({
    name: 'anychat_rtc_calls_active',
    help: 'Calls not ended yet, by state (ringing, connected); read from the database at scrape time',
    labelNames: ['state'] as const,
    registers: [],
    async collect() {
      const rows = await sql.query<{ status: string; calls: string }>(
        `select status, count(*) as calls from rtc.call_sessions where end_time is null group by status`,
      );
      const counts = new Map(rows.map((row) => [row.status, Number(row.calls)]));
      for (const state of ['ringing', 'connected']) this.set({ state }, counts.get(state) ?? 0);
    },
  });
  const activeMeetings = new Gauge({
    name: 'anychat_rtc_meetings_active',
    help: 'Meetings running (joined and not ended); read from the database at scrape time',
    registers: [],
    async collect() {
      const [row] = await sql.query<{ meetings: string }>(
        `select count(*) as meetings from rtc.meeting_rooms where status = 'active'`,
      );
      this.set(Number(row?.meetings ?? 0));
    },
  });
  return [
    callsStarted,
    callsEnded,
    callSetupFailures,
    ringingDuration,
    callDuration,
    meetingParticipantSeconds,
    recordings,
    activeCalls,
    activeMeetings,
  ];
}
