import { z } from 'zod';
import { PushService as PushContract } from '../platform/contracts/gen/anychat/push/v1/push_pb.ts';
import type { SnowflakeGenerator } from '../platform/ids.ts';
import { type InputSchemas, type InternalService, internalService } from '../platform/ports/index.ts';
import { schemas } from '../platform/validation.ts';
import type { PushPlanner, PushStatistics } from './domain/index.ts';

/** Input rules of PushService's methods (test/unit/contracts.test.ts holds them to the proto messages). */
export const PushInputs = {
  sendTestPush: z.object({ userId: schemas.id }),
  getPushStats: z.object({
    minutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60),
  }),
} satisfies InputSchemas<typeof PushContract>;

/** What the push service serves other services (proto/anychat/push/v1/push.proto). */
export function pushInternal(
  planner: PushPlanner,
  statistics: PushStatistics,
  ids: SnowflakeGenerator,
): InternalService[] {
  return [
    internalService(PushContract, PushInputs, {
      sendTestPush: async ({ userId }) => ({
        results: (await planner.test(userId, `test:${ids.next()}`)).map(({ target, result }) => ({
          deviceId: target.deviceId,
          provider: target.provider,
          status: result.ok ? 'success' : 'failed',
          ...(result.ok ? {} : { error: `${result.reason}: ${result.detail}` }),
        })),
      }),
      getPushStats: async ({ minutes }) => ({
        providers: (await statistics.recent(minutes)).map((counts) => ({
          provider: counts.provider,
          success: BigInt(counts.success),
          failed: BigInt(counts.failed),
        })),
      }),
    }),
  ];
}
