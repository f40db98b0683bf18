import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  type MessageCreated,
  MessageCreatedSchema,
} from '../../platform/contracts/gen/anychat/message/v1/events_pb.ts';
import { MessageService } from '../../platform/contracts/gen/anychat/message/v1/message_pb.ts';
import { MENTION_ALL, previewOf } from '../../platform/contracts/index.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/** Timeline entries read per call. */
const PAGE = 200;
/** Pages read at most for one device: what a device can have missed in its offline grace is far less. */
const MAX_PAGES = 5;
/**
 * Messages stored this long after the device left are not looked at: the ordinary path found the
 * device out of the presence registry and pushed them (the margin covers clocks of other hosts).
 */
const AFTER_LEFT_MS = 10_000;

/** A NEW_MESSAGE's data as the message service writes it into the timeline (services/message/domain/frames.ts). */
interface MessageFrameData {
  messageId?: unknown;
  sessionId?: unknown;
  sessionType?: unknown;
  senderId?: unknown;
  targetId?: unknown;
  contentType?: unknown;
  content?: unknown;
  mentions?: unknown;
  recalled?: unknown;
  seq?: unknown;
  timestamp?: unknown;
}

/**
 * What the push service reads of the message service's sync timeline: the messages a device may
 * have missed after its position (a device that left while still in the presence registry).
 */
export class MessageTimeline {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  /**
   * The user's messages after `afterSyncSeq` stored before `leftAt` (and a margin), oldest first,
   * the newest `limit` of them: as `message.created` events with the user as their one recipient.
   * Messages the user sent, recalled and deleted ones are left out; read fan-out groups' messages
   * are not in the timeline at all.
   */
  async missed(userId: string, afterSyncSeq: number, leftAt: Date, limit: number): Promise<MessageCreated[]> {
    const until = leftAt.getTime() + AFTER_LEFT_MS;
    const found: MessageCreated[] = [];
    let after = afterSyncSeq;
    for (let page = 0; page < MAX_PAGES; page++) {
      const read = await this.#invoke.call(MessageService.method.readTimeline, {
        userId,
        afterSyncSeq: BigInt(after),
        limit: PAGE,
      });
      for (const item of read.items) {
        const frame = item.frame as { type?: unknown; data?: MessageFrameData } | undefined;
        if (frame?.type !== 'NEW_MESSAGE' || !frame.data) continue;
        if (typeof frame.data.timestamp === 'number' && frame.data.timestamp > until)
          return found.slice(-limit);
        const message = messageOf(frame.data, userId);
        if (message) found.push(message);
      }
      if (!read.hasMore || read.items.length === 0) break;
      after = Number(read.nextSyncSeq);
    }
    return found.slice(-limit);
  }
}

/** The `message.created` of a timeline's NEW_MESSAGE, for its one recipient; undefined for what is not pushed. */
function messageOf(data: MessageFrameData, userId: string): MessageCreated | undefined {
  const { messageId, sessionId, sessionType, senderId, targetId, contentType, seq, timestamp } = data;
  if (
    typeof messageId !== 'string' ||
    typeof sessionId !== 'string' ||
    typeof senderId !== 'string' ||
    typeof contentType !== 'string' ||
    typeof seq !== 'number' ||
    senderId === userId ||
    data.recalled === true
  )
    return undefined;
  const mentions = Array.isArray(data.mentions)
    ? data.mentions.filter((m): m is string => typeof m === 'string')
    : [];
  return create(MessageCreatedSchema, {
    messageId,
    sessionId,
    sessionType: typeof sessionType === 'string' ? sessionType : 'single',
    senderId,
    targetId: typeof targetId === 'string' ? targetId : '',
    participants: [senderId, userId],
    seq: BigInt(seq),
    contentType,
    preview: previewOf(contentType, data.content),
    mentions: mentions.filter((m) => m !== MENTION_ALL),
    mentionAll: mentions.includes(MENTION_ALL),
    ...(typeof timestamp === 'number' ? { createdAt: timestampFromMs(timestamp) } : {}),
  });
}
