import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import { messageView } from './frames.ts';
import type { InteractionStore } from './interactions-store.ts';
import type { MessageService } from './message-service.ts';

/** Pinned messages one conversation holds at most. */
export const MAX_PINS = 50;

export interface PinsOptions {
  messages: MessageService;
  store: InteractionStore;
  ids: SnowflakeGenerator;
}

/**
 * Pinned messages of a conversation: either side of a one-to-one conversation, a group's owner
 * and admins; every participant's timeline gets MESSAGE_PINNED.
 */
export class MessagePins {
  readonly #o: PinsOptions;

  constructor(options: PinsOptions) {
    this.#o = options;
  }

  async pin(userId: string, messageId: string, pinned: boolean) {
    const { messages, store } = this.#o;
    const { message, access } = await messages.shared.visibleMessage(userId, messageId);
    if (access.kind === 'group' && access.role === 'member')
      throw new AppError(ErrorCode.GROUP_NOT_ADMIN, { detail: 'only the owner and admins pin messages' });
    if (pinned && message.recalled) throw new AppError(ErrorCode.MESSAGE_RECALLED);
    const eventId = `pin:${this.#o.ids.next()}`;
    const result = await store.pin(
      message,
      userId,
      pinned,
      () =>
        access.participants.map((recipient) => ({
          userId: recipient,
          kind: 'pin' as const,
          eventId,
          payload: { messageId, sessionId: message.sessionId, pinned, by: userId },
        })),
      (pins) => {
        if (pins >= MAX_PINS)
          throw new AppError(ErrorCode.MESSAGE_PIN_LIMIT, { detail: `at most ${MAX_PINS} per conversation` });
      },
    );
    await messages.shared.deliverEvents(result.appended, Date.now());
    return { messageId, sessionId: message.sessionId, pinned, changed: result.changed };
  }

  async list(userId: string, sessionId: string) {
    const access = await this.#o.messages.shared.access(userId, sessionId);
    const rows = await this.#o.store.pinned(sessionId, access.visibleFrom);
    const senders = await this.#o.messages.shared.profiles(rows.map((row) => row.message.senderId));
    return {
      pins: rows.map((row) => ({
        message: messageView(row.message, senders.get(row.message.senderId)),
        pinnedBy: row.pinnedBy,
        pinnedAt: row.pinnedAt.getTime(),
      })),
    };
  }
}
