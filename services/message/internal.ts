import { toJson } from '@bufbuild/protobuf';
import { type Value, ValueSchema } from '@bufbuild/protobuf/wkt';
import { z } from 'zod';
import {
  MessageAdminService,
  MessageService as MessageContract,
} from '../platform/contracts/gen/anychat/message/v1/message_pb.ts';
import { BulkCalls, jsonObjectOf, SESSION_ID_PATTERN } from '../platform/contracts/index.ts';
import { SelfDestructTimer } from '../platform/contracts/self-destruct.ts';
import { type InputSchemas, type InternalService, internalService } from '../platform/ports/index.ts';
import { schemas } from '../platform/validation.ts';
import type { GroupStreams } from './domain/group-streams.ts';
import type { MessageService } from './domain/message-service.ts';
import type { SelfDestruct } from './domain/timers.ts';
import { clientMsgId, SendFields } from './schemas.ts';

/** An int64 of the contract that the domain counts in JavaScript numbers (seqs: safe integers). */
const safeInteger = z
  .bigint()
  .min(0n)
  .max(BigInt(Number.MAX_SAFE_INTEGER))
  .transform((value) => Number(value));

/** A google.protobuf.Value field as the JSON it carries (unset: undefined, which the domain refuses). */
const jsonValue = z
  .custom<Value>((value) => typeof value === 'object' && value !== null && '$typeName' in value)
  .optional()
  .transform((value) => (value === undefined ? undefined : toJson(ValueSchema, value)));

/** Input rules of MessageService's methods (test/unit/contracts.test.ts holds them to the proto messages). */
export const MessageInputs = {
  sendMessage: SendFields.extend({
    senderId: schemas.id,
    deviceId: z.string().min(1).max(128).optional(),
    clientMsgId,
    content: jsonValue,
    selfDestruct: SelfDestructTimer.optional(),
  }),
  markDelivered: z.object({
    userId: schemas.id,
    messageIds: z.array(schemas.id).max(BulkCalls.delivered.maxIds),
  }),
  markDeliveredBatch: z.object({
    receipts: z
      .array(z.object({ userId: schemas.id, messageIds: z.array(schemas.id) }))
      .refine(
        (receipts) => receipts.reduce((n, r) => n + r.messageIds.length, 0) <= BulkCalls.delivered.maxIds,
        {
          message: `at most ${BulkCalls.delivered.maxIds} message ids in all`,
        },
      ),
  }),
  readTimeline: z.object({
    userId: schemas.id,
    afterSyncSeq: safeInteger,
    limit: z.number().int().min(1).max(1000).default(200),
  }),
  readGroupStreams: z.object({ userId: schemas.id }),
  readGroupStream: z.object({
    userId: schemas.id,
    sessionId: z.string().regex(SESSION_ID_PATTERN),
    afterSeq: safeInteger,
    limit: z.number().int().min(1).max(1000).default(200),
  }),
  getGroupReads: z.object({ userId: schemas.id, groupId: schemas.id, messageId: schemas.id }),
} satisfies InputSchemas<typeof MessageContract>;

/** Input rules of MessageAdminService's methods (test/unit/contracts.test.ts holds them to the proto messages). */
export const MessageAdminInputs = {
  listSessionMessages: z.object({
    sessionId: z.string().regex(SESSION_ID_PATTERN),
    beforeSeq: safeInteger.pipe(z.number().min(1)).optional(),
    limit: z.number().int().min(1).max(200).default(50),
  }),
  recallMessage: z.object({ messageId: schemas.id }),
  getMessageStats: z.object({ minutes: z.number().int().min(1).max(1440) }),
} satisfies InputSchemas<typeof MessageAdminService>;

/** What the message service serves other services (proto/anychat/message/v1/message.proto). */
export function messageInternal(
  messages: MessageService,
  streams: GroupStreams,
  selfDestruct: SelfDestruct,
): InternalService[] {
  return [
    internalService(MessageContract, MessageInputs, {
      sendMessage: async ({ selfDestruct: timer, ...input }, call) => {
        // A timed message (SEND_MESSAGE's selfDestruct) goes the HTTP route's way: timer, then send.
        const send = { ...input, deviceId: input.deviceId };
        const ack = timer
          ? await selfDestruct.send({ ...send, ...timer }, call.traceId)
          : await messages.send(send, call.traceId);
        return {
          ...ack,
          seq: BigInt(ack.seq),
          syncSeq: BigInt(ack.syncSeq),
          timestamp: BigInt(ack.timestamp),
        };
      },
      markDeliveredBatch: async ({ receipts }) => {
        await messages.delivered(receipts);
        return {};
      },
      markDelivered: async ({ userId, messageIds }) => {
        await messages.delivered([{ userId, messageIds }]);
        return {};
      },
      readTimeline: async ({ userId, afterSyncSeq, limit }) => {
        const page = await messages.timeline(userId, afterSyncSeq, limit);
        return {
          items: page.items.map((item) => ({
            syncSeq: BigInt(item.syncSeq),
            ...(item.frame ? { frame: jsonObjectOf(item.frame) } : {}),
          })),
          head: BigInt(page.head),
          hasMore: page.hasMore,
          nextSyncSeq: BigInt(page.nextSyncSeq),
        };
      },
      readGroupStreams: async ({ userId }) => ({
        streams: (await streams.streams(userId)).map((stream) => ({
          sessionId: stream.sessionId,
          startSeq: BigInt(stream.startSeq),
          head: BigInt(stream.head),
          afterSyncSeq: BigInt(stream.afterSyncSeq),
        })),
      }),
      readGroupStream: async ({ userId, sessionId, afterSeq, limit }) => {
        const page = await streams.page(userId, sessionId, afterSeq, limit);
        return {
          items: page.items.map((item) => ({ seq: BigInt(item.seq), frame: jsonObjectOf(item.frame) })),
          head: BigInt(page.head),
          hasMore: page.hasMore,
        };
      },
      getGroupReads: async ({ userId, groupId, messageId }) => {
        const reads = await messages.groupReads(userId, groupId, messageId);
        return {
          readCount: reads.readCount,
          unreadCount: reads.unreadCount,
          readMembers: reads.readMembers.map((reader) => ({
            userId: reader.userId,
            ...(reader.nickname !== null ? { nickname: reader.nickname } : {}),
            readAt: reader.readAt,
          })),
        };
      },
    }),
    internalService(MessageAdminService, MessageAdminInputs, {
      listSessionMessages: async ({ sessionId, beforeSeq, limit }) => {
        const { messages: views } = await messages.historyForAdministrator(sessionId, beforeSeq, limit);
        return { messages: views.map(jsonObjectOf) };
      },
      recallMessage: async ({ messageId }) => messages.recallByAdministrator(messageId),
      getMessageStats: async ({ minutes }) => {
        const stats = await messages.stats(minutes);
        return {
          total: BigInt(stats.total),
          perMinute: stats.perMinute,
          byContentType: Object.entries(stats.byContentType).map(([contentType, count]) => ({
            contentType,
            count,
          })),
        };
      },
    }),
  ];
}
