import { MessageAdminService } from '../../platform/contracts/gen/anychat/message/v1/message_pb.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

/** Messages as the admin service moderates them (the message service owns them). */
export class MessagesClient {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  /** A conversation's messages, newest first, as the REST API shows them. */
  async history(query: { sessionId: string; beforeSeq?: number | undefined; limit: number }) {
    const { messages } = await this.#invoke.call(MessageAdminService.method.listSessionMessages, {
      sessionId: query.sessionId,
      ...(query.beforeSeq === undefined ? {} : { beforeSeq: BigInt(query.beforeSeq) }),
      limit: query.limit,
    });
    return { messages };
  }

  async recall(messageId: string): Promise<{ messageId: string; sessionId: string }> {
    const { sessionId } = await this.#invoke.call(MessageAdminService.method.recallMessage, { messageId });
    return { messageId, sessionId };
  }

  /** Message counts of the last `minutes` minutes. */
  async stats(minutes: number) {
    const stats = await this.#invoke.call(MessageAdminService.method.getMessageStats, { minutes });
    return {
      total: Number(stats.total),
      perMinute: stats.perMinute.map(({ minute, count }) => ({ minute, count })),
      byContentType: Object.fromEntries(
        stats.byContentType.map(({ contentType, count }) => [contentType, count]),
      ),
    };
  }
}
