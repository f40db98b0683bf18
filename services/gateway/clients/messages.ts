import { fromJsonString } from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import { MessageService } from '../../platform/contracts/gen/anychat/message/v1/message_pb.ts';
import { BulkCalls, type ServerFrame } from '../../platform/contracts/index.ts';
import type { SelfDestructTimer } from '../../platform/contracts/self-destruct.ts';
import type { InvokeOptions, InvokePort } from '../../platform/ports/index.ts';

/** A SEND_MESSAGE as the gateway hands it to the message service. */
export interface SendRequest {
  senderId: string;
  deviceId: string;
  clientMsgId: string;
  sessionType: string;
  targetId: string;
  contentType: string;
  /** The client's content, as parsed from its frame (JSON). */
  content: unknown;
  mentions?: string[] | undefined;
  mentionAll?: boolean | undefined;
  /** Set: a self-destructing message, whose timer the message service arms before sending it. */
  selfDestruct?: SelfDestructTimer | undefined;
}

/** A server frame as a timeline item carries it (a JSON object with a string `type`). */
const isServerFrame = (value: { type?: unknown } | undefined): value is ServerFrame =>
  typeof value?.type === 'string';

/** What the gateway asks of the message service: sends, the timeline replay, delivered receipts. */
export class MessagesClient {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  /** Sends for a device; answers the SEND_ACK data (numbers, as devices read them). */
  async send(request: SendRequest, options?: InvokeOptions) {
    const { content, mentions, ...fields } = request;
    const ack = await this.#invoke.call(
      MessageService.method.sendMessage,
      {
        ...fields,
        mentions: mentions ?? [],
        // Absent content stays absent: the message service answers it with its own code.
        ...(content === undefined ? {} : { content: fromJsonString(ValueSchema, JSON.stringify(content)) }),
      },
      options,
    );
    return {
      messageId: ack.messageId,
      sessionId: ack.sessionId,
      seq: Number(ack.seq),
      syncSeq: Number(ack.syncSeq),
      timestamp: Number(ack.timestamp),
    };
  }

  /** A page of the user's timeline after `afterSyncSeq`; a null frame is a message the user deleted. */
  async timeline(userId: string, afterSyncSeq: number, limit: number) {
    const page = await this.#invoke.call(MessageService.method.readTimeline, {
      userId,
      afterSyncSeq: BigInt(afterSyncSeq),
      limit,
    });
    return {
      items: page.items.map((item) => ({
        syncSeq: Number(item.syncSeq),
        frame: isServerFrame(item.frame) ? item.frame : null,
      })),
      head: Number(page.head),
      hasMore: page.hasMore,
    };
  }

  /** The user's read fan-out groups (big groups, read by the group's seq outside the timeline). */
  async groupStreams(userId: string) {
    const { streams } = await this.#invoke.call(MessageService.method.readGroupStreams, { userId });
    return streams.map((stream) => ({
      sessionId: stream.sessionId,
      startSeq: Number(stream.startSeq),
      head: Number(stream.head),
      afterSyncSeq: Number(stream.afterSyncSeq),
    }));
  }

  /** A read fan-out group's messages the user sees after `afterSeq` (NEW_MESSAGE frames). */
  async groupPage(userId: string, sessionId: string, afterSeq: number, limit: number) {
    const page = await this.#invoke.call(MessageService.method.readGroupStream, {
      userId,
      sessionId,
      afterSeq: BigInt(afterSeq),
      limit,
    });
    return {
      items: page.items.flatMap((item) =>
        isServerFrame(item.frame) ? [{ seq: Number(item.seq), frame: item.frame }] : [],
      ),
      head: Number(page.head),
      hasMore: page.hasMore,
    };
  }

  /**
   * Marks users' acknowledged messages delivered: one call for them all, or as few as the message
   * service accepts (at most BulkCalls.delivered.maxIds ids a call; a user's ids may span calls).
   */
  async delivered(receipts: Array<[userId: string, messageIds: Iterable<string>]>): Promise<void> {
    const max = BulkCalls.delivered.maxIds;
    let call: Array<{ userId: string; messageIds: string[] }> = [];
    let size = 0;
    const send = async () => {
      if (call.length > 0)
        await this.#invoke.call(MessageService.method.markDeliveredBatch, { receipts: call });
      call = [];
      size = 0;
    };
    for (const [userId, ids] of receipts) {
      const unique = [...new Set(ids)];
      for (let start = 0; start < unique.length; ) {
        if (size === max) await send();
        const messageIds = unique.slice(start, start + max - size);
        call.push({ userId, messageIds });
        size += messageIds.length;
        start += messageIds.length;
      }
    }
    await send();
  }
}
