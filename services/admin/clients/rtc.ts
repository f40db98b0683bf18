import { RtcAdminService } from '../../platform/contracts/gen/anychat/rtc/v1/rtc_pb.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

export interface CallStats {
  started: number;
  answered: number;
  missed: number;
  meetings: number;
  meetingSeconds: number;
}

/** Calls and meetings as the admin service moderates and counts them (the rtc service owns them). */
export class RtcClient {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  /** Ends a meeting for everyone; the rtc service's codes (100106, 100107, 100111) come through as they are. */
  async endMeeting(meetingId: string) {
    const ended = await this.#invoke.call(RtcAdminService.method.endMeeting, { meetingId });
    return { title: ended.title, hostId: ended.hostId, participants: ended.participants };
  }

  /** Calls and meeting time over the last `minutes` minutes. */
  async stats(minutes: number): Promise<CallStats> {
    const stats = await this.#invoke.call(RtcAdminService.method.getCallStats, { minutes });
    return {
      started: Number(stats.started),
      answered: Number(stats.answered),
      missed: Number(stats.missed),
      meetings: Number(stats.meetings),
      meetingSeconds: Number(stats.meetingSeconds),
    };
  }
}
