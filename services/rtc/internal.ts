import { z } from 'zod';
import {
  RtcAdminService as RtcAdminContract,
  RtcService as RtcContract,
} from '../platform/contracts/gen/anychat/rtc/v1/rtc_pb.ts';
import { type InputSchemas, type InternalService, internalService } from '../platform/ports/index.ts';
import { schemas } from '../platform/validation.ts';
import type { Meetings, RtcStatistics } from './domain/index.ts';

/** Input rules of RtcService's methods (test/unit/contracts.test.ts holds them to the proto messages). */
export const RtcInputs = {
  isMeetingMember: z.object({ meetingId: schemas.id, userId: schemas.id }),
} satisfies InputSchemas<typeof RtcContract>;

/** Input rules of RtcAdminService's methods (test/unit/contracts.test.ts holds them to the proto messages). */
export const RtcAdminInputs = {
  endMeeting: z.object({ meetingId: schemas.id }),
  getCallStats: z.object({
    minutes: z
      .number()
      .int()
      .min(1)
      .max(366 * 24 * 60),
  }),
} satisfies InputSchemas<typeof RtcAdminContract>;

/** What the rtc service serves other services (proto/anychat/rtc/v1/rtc.proto). */
export function rtcInternal(meetings: Meetings, statistics: RtcStatistics): InternalService[] {
  return [
    internalService(RtcContract, RtcInputs, {
      isMeetingMember: async ({ meetingId, userId }) => ({
        member: await meetings.isMember(meetingId, userId),
      }),
    }),
    internalService(RtcAdminContract, RtcAdminInputs, {
      endMeeting: async ({ meetingId }) => {
        const { meeting, participants } = await meetings.endByAdmin(meetingId);
        return { title: meeting.title, hostId: meeting.host_id, participants };
      },
      getCallStats: async ({ minutes }) => {
        const stats = await statistics.since(new Date(Date.now() - minutes * 60_000));
        return {
          started: BigInt(stats.started),
          answered: BigInt(stats.answered),
          missed: BigInt(stats.missed),
          meetings: BigInt(stats.meetings),
          meetingSeconds: BigInt(stats.meetingSeconds),
        };
      },
    }),
  ];
}
