import { MessageService } from '../../platform/contracts/gen/anychat/message/v1/message_pb.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/** What the group service asks of the message service: read receipts of a group's message. */
export class MessageReads {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  /** Who of the group read the message, as a member sees it (the message service checks membership). */
  async of(userId: string, groupId: string, messageId: string) {
    const reads = await this.#invoke.call(MessageService.method.getGroupReads, {
      userId,
      groupId,
      messageId,
    });
    return {
      readCount: reads.readCount,
      unreadCount: reads.unreadCount,
      readMembers: reads.readMembers.map((reader) => ({
        userId: reader.userId,
        nickname: reader.nickname ?? null,
        readAt: reader.readAt,
      })),
    };
  }
}
