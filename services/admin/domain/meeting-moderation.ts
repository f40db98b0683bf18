import type { RtcClient } from '../clients/rtc.ts';
import type { Actor, AuditLog } from './audit-log.ts';

/** An administrator ends a meeting for everyone (audited: who, which meeting, whose, why). */
export class MeetingModeration {
  readonly #rtc: RtcClient;
  readonly #audit: AuditLog;

  constructor(rtc: RtcClient, audit: AuditLog) {
    this.#rtc = rtc;
    this.#audit = audit;
  }

  async end(actor: Actor, meetingId: string, reason: string | undefined) {
    const ended = await this.#rtc.endMeeting(meetingId);
    await this.#audit.record(actor, {
      action: 'meeting.end',
      resourceType: 'meeting',
      resourceId: meetingId,
      details: {
        title: ended.title,
        hostId: ended.hostId,
        participants: ended.participants,
        reason: reason ?? null,
      },
    });
    return { meetingId, status: 'ended' as const, ...ended };
  }
}
