import type { SessionType } from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import { messageView } from './frames.ts';
import type { InteractionStore } from './interactions-store.ts';
import type { MessageService } from './message-service.ts';

export interface ThreadReplyInput {
  clientMsgId: string;
  contentType: string;
  content: unknown;
  mentions?: string[] | undefined;
}

/**
 * Threads: a reply to a message is a message of the same conversation (numbered, stored, synced
 * and pushed as any), linked to its root. Each thread has its own unread count per user, which
 * THREAD_UPDATED carries to each participant on a reply, and to the reader's devices on a read.
 * A reply to a reply goes to the same thread (threads are one level deep).
 */
export class MessageThreads {
  readonly #messages: MessageService;

  readonly #store: InteractionStore;

  constructor(messages: MessageService, store: InteractionStore) {
    this.#messages = messages;
    this.#store = store;
  }

  async reply(userId: string, messageId: string, input: ThreadReplyInput, traceId?: string) {
    const { shared } = this.#messages;
    const rootMessageId = (await this.#store.rootOf(messageId)) ?? messageId;
    const { message: root, access } = await shared.visibleMessage(userId, rootMessageId);
    if (root.recalled) throw new AppError(ErrorCode.MESSAGE_RECALLED);
    const sessionType: SessionType = access.kind;
    // A thread in the system conversation is a reply to it: send() refuses it (50140).
    const targetId =
      access.kind === 'single' ? access.peer : access.kind === 'group' ? access.groupId : userId;
    const ack = await this.#messages.send(
      { ...input, senderId: userId, deviceId: undefined, sessionType, targetId },
      traceId,
    );
    // Linked after the send is durable; a retried send (same clientMsgId) links it if a crash came between.
    const appended = await this.#store.linkReply(
      { messageId: ack.messageId, rootMessageId, sessionId: ack.sessionId, senderId: userId, seq: ack.seq },
      access.participants,
      (replyCount, unread) =>
        access.participants.map((recipient) => ({
          userId: recipient,
          kind: 'thread' as const,
          eventId: `thread:${ack.messageId}`,
          payload: {
            rootMessageId,
            sessionId: ack.sessionId,
            messageId: ack.messageId,
            replyCount,
            unreadCount: unread.get(recipient) ?? 0,
          },
        })),
    );
    if (appended) await shared.deliverEvents(appended, Date.now());
    return { ...ack, rootMessageId };
  }

  async replies(userId: string, messageId: string, afterSeq: number, limit: number) {
    const { shared } = this.#messages;
    const { message: root, access } = await shared.visibleMessage(userId, messageId);
    const rows = (await this.#store.replies(userId, root.messageId, afterSeq, limit + 1)).filter(
      (m) => !access.visibleFrom || m.createdAt >= access.visibleFrom,
    );
    const page = rows.slice(0, limit);
    const [senders, counts] = await Promise.all([
      shared.profiles(page.map((m) => m.senderId)),
      this.#store.threadCounts(userId, root.messageId),
    ]);
    return {
      rootMessageId: root.messageId,
      ...counts,
      replies: page.map((m) => messageView(m, senders.get(m.senderId))),
      hasMore: rows.length > limit,
    };
  }

  async markRead(userId: string, messageId: string) {
    const { shared } = this.#messages;
    const { message: root } = await shared.visibleMessage(userId, messageId);
    const appended = await this.#store.readThread(userId, root.messageId, (readSeq, replyCount) => ({
      userId,
      kind: 'thread',
      eventId: `thread-read:${root.messageId}:${readSeq}`,
      payload: { rootMessageId: root.messageId, sessionId: root.sessionId, replyCount, unreadCount: 0 },
    }));
    if (appended) await shared.deliverEvents(appended, Date.now());
    return { rootMessageId: root.messageId, unreadCount: 0 };
  }

  async list(userId: string, sessionId: string, limit: number) {
    await this.#messages.shared.access(userId, sessionId);
    const threads = await this.#store.threads(userId, sessionId, limit);
    return {
      threads: threads.map((thread) => ({ ...thread, lastReplyAt: thread.lastReplyAt.getTime() })),
    };
  }
}
