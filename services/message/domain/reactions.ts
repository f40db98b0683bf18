import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { MessageTopics, peerOf, previewOf, SYSTEM_SENDER } from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import { type Outbox, outboxEvent } from '../../platform/outbox.ts';
import type { InteractionStore } from './interactions-store.ts';
import type { MessageService } from './message-service.ts';

/** Different emoji one user may put on one message. */
export const MAX_REACTIONS_PER_USER = 10;
/** Different emoji on one message, everyone's together. */
export const MAX_EMOJI_PER_MESSAGE = 50;
/** Who reacted, per emoji, in the list (the count is always exact). */
const LISTED_USERS = 100;

export interface ReactionsOptions {
  messages: MessageService;
  store: InteractionStore;
  ids: SnowflakeGenerator;
  /** `message.reacted`, so that the push service can tell an offline author. */
  outbox: Outbox;
}

/**
 * Emoji reactions: each participant puts or takes back their emoji on a message they can see;
 * every participant's timeline (the reactor's other devices too) gets MESSAGE_REACTION with the
 * emoji's new count. An emoji put on someone else's message is published as `message.reacted`,
 * from which the push service tells the author when none of their devices is connected.
 */
export class MessageReactions {
  readonly #o: ReactionsOptions;

  constructor(options: ReactionsOptions) {
    this.#o = options;
  }

  async react(userId: string, messageId: string, emoji: string, add: boolean) {
    const { messages, store } = this.#o;
    const { message, access } = await messages.shared.visibleMessage(userId, messageId);
    if (message.recalled) throw new AppError(ErrorCode.MESSAGE_RECALLED);
    // Each change is its own event: adding the same emoji again later is news again.
    const eventId = `reaction:${this.#o.ids.next()}`;
    const toAuthor =
      add && message.senderId !== userId && message.senderId !== SYSTEM_SENDER
        ? outboxEvent(MessageTopics.reacted, {
            messageId,
            sessionId: message.sessionId,
            sessionType: message.sessionType,
            // As the author sees the conversation: the reactor (one-to-one) or the group.
            targetId: peerOf(message.sessionId, message.senderId) ?? message.targetId,
            authorId: message.senderId,
            userId,
            emoji,
            seq: BigInt(message.seq),
            preview: previewOf(message.contentType, message.content),
            reactedAt: timestampFromDate(new Date()),
          })
        : undefined;
    const result = await store.react(
      message,
      userId,
      emoji,
      add,
      (count) =>
        access.participants.map((recipient) => ({
          userId: recipient,
          kind: 'reaction' as const,
          eventId,
          payload: { messageId, sessionId: message.sessionId, userId, emoji, added: add, count },
        })),
      (mine, distinct) => {
        if (mine >= MAX_REACTIONS_PER_USER || distinct >= MAX_EMOJI_PER_MESSAGE)
          throw new AppError(ErrorCode.MESSAGE_REACTION_LIMIT, {
            detail: `at most ${MAX_REACTIONS_PER_USER} emoji of yours and ${MAX_EMOJI_PER_MESSAGE} in all per message`,
          });
      },
      toAuthor,
    );
    await messages.shared.deliverEvents(result.appended, Date.now());
    await this.#o.outbox.publish(result.outbox);
    return { messageId, emoji, count: result.count, changed: result.changed };
  }

  async list(userId: string, messageId: string) {
    const { message } = await this.#o.messages.shared.visibleMessage(userId, messageId);
    if (message.recalled) return { messageId, reactions: [] };
    return { messageId, reactions: await this.#o.store.reactions(messageId, userId, LISTED_USERS) };
  }
}
