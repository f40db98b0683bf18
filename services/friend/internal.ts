import { z } from 'zod';
import { FriendService } from '../platform/contracts/gen/anychat/friend/v1/friend_pb.ts';
import { BulkCalls, MAX_RELATION_PAIRS } from '../platform/contracts/index.ts';
import { SNOWFLAKE_PATTERN } from '../platform/ids.ts';
import { type InputSchemas, type InternalService, internalService } from '../platform/ports/index.ts';
import type { Relations } from './domain/index.ts';

const id = z.string().regex(SNOWFLAKE_PATTERN);

/** Input rules of FriendService's methods (test/unit/contracts.test.ts holds them to the proto messages). */
export const FriendInputs = {
  getRelation: z.object({ userId: id, peerId: id }),
  getRelations: z.object({ userId: id, peerIds: z.array(id).max(BulkCalls.relations.maxIds) }),
  listFriendIds: z.object({ userId: id }),
  getPairRelations: z.object({
    pairs: z.array(z.object({ userId: id, peerId: id })).max(MAX_RELATION_PAIRS),
  }),
} satisfies InputSchemas<typeof FriendService>;

/** What the friend service serves other services (proto/anychat/friend/v1/friend.proto). */
export function friendInternal(relations: Relations): InternalService[] {
  return [
    internalService(FriendService, FriendInputs, {
      getRelation: async ({ userId, peerId }) => relations.relation(userId, peerId),
      getRelations: async ({ userId, peerIds }) => ({
        relations: await relations.relations(userId, peerIds),
      }),
      listFriendIds: async ({ userId }) => ({ friendIds: await relations.friendIds(userId) }),
      getPairRelations: async ({ pairs }) => ({ relations: await relations.pairRelations(pairs) }),
    }),
  ];
}
