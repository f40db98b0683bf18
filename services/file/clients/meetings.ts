import { RtcService } from '../../platform/contracts/gen/anychat/rtc/v1/rtc_pb.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/** What the file service asks of the rtc service: whether a user belongs to a meeting now (its recordings). */
export class MeetingMembership {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  async isMember(meetingId: string, userId: string): Promise<boolean> {
    return (await this.#invoke.call(RtcService.method.isMeetingMember, { meetingId, userId })).member;
  }
}
