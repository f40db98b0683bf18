import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { MessageTopics, previewOf } from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import { type Outbox, outboxEvent } from '../../platform/outbox.ts';
import { type ContentValidator, searchTextOf } from './content.ts';
import { eventFrame } from './frames.ts';
import type { InteractionStore } from './interactions-store.ts';
import type { MessageService } from './message-service.ts';

/** Content types whose text can be edited (a quote keeps what it quotes). */
const EDITABLE = new Set(['text', 'quote']);

export interface EditsOptions {
  messages: MessageService;
  store: InteractionStore;
  content: ContentValidator;
  /** `message.edited`, for conversation-list previews. */
  outbox: Outbox;
  /** How long after sending the sender may edit; 0: never. */
  windowMs: number;
}

/**
 * Editing a sent message: its sender, within the window, text and quotes only. The content is
 * replaced in place (history, search and replayed NEW_MESSAGEs show the current text), the old
 * one kept as a version, and every participant's timeline gets MESSAGE_EDITED, as a recall does.
 */
export class MessageEdits {
  readonly #o: EditsOptions;

  constructor(options: EditsOptions) {
    this.#o = options;
  }

  async edit(userId: string, messageId: string, text: string) {
    const { messages, store } = this.#o;
    const { message, access } = await messages.shared.visibleMessage(userId, messageId);
    if (message.recalled) throw new AppError(ErrorCode.MESSAGE_RECALLED);
    if (message.senderId !== userId) throw new AppError(ErrorCode.MESSAGE_EDIT_FORBIDDEN);
    if (!EDITABLE.has(message.contentType)) throw new AppError(ErrorCode.MESSAGE_NOT_EDITABLE);
    if (this.#o.windowMs === 0 || Date.now() - message.createdAt.getTime() > this.#o.windowMs)
      throw new AppError(ErrorCode.MESSAGE_EDIT_EXPIRED);
    const edited = message.contentType === 'text' ? text : { ...(message.content as object), text };
    const content = await messages.shared.moderate(
      message.contentType,
      this.#o.content.parse(message.contentType, edited),
    );
    const editedAt = new Date();
    const payload = (version: number) => ({
      messageId,
      sessionId: message.sessionId,
      seq: message.seq,
      editedBy: userId,
      contentType: message.contentType,
      version,
      editedAt: editedAt.getTime(),
    });
    const result = await store.edit(
      messageId,
      content,
      searchTextOf(message.contentType, content),
      editedAt,
      (version) =>
        access.participants.map((recipient) => ({
          userId: recipient,
          kind: 'edit' as const,
          eventId: `edit:${messageId}:${version}`,
          messageId,
          payload: payload(version),
        })),
      (version) =>
        outboxEvent(MessageTopics.edited, {
          messageId,
          sessionId: message.sessionId,
          participants: access.participants,
          seq: BigInt(message.seq),
          version,
          preview: previewOf(message.contentType, content),
          editedAt: timestampFromDate(editedAt),
        }),
    );
    if (!result) throw new AppError(ErrorCode.MESSAGE_RECALLED);
    await this.#o.outbox.publish(result.outbox);
    // Pushed with the content; the timeline holds none, its replay reads the message's current one.
    await messages.shared.deliver(
      [...result.appended].map(([event, syncSeq]) => ({
        userId: event.userId,
        syncSeq,
        frame: eventFrame('edit', { ...event.payload, content }, syncSeq, editedAt.getTime()),
      })),
    );
    return { messageId, version: result.version, content, editedAt: editedAt.getTime() };
  }

  /** Every version of a message, the first as sent and the last its current content (participants only). */
  async versions(userId: string, messageId: string) {
    const { message } = await this.#o.messages.shared.visibleMessage(userId, messageId);
    if (message.recalled) throw new AppError(ErrorCode.MESSAGE_RECALLED);
    const older = await this.#o.store.editVersions(messageId);
    const versions = older.map((version, index) => ({
      version: version.version,
      content: version.content,
      // Version 0 is as sent; each later one from the edit that made it.
      at: index === 0 ? message.createdAt.getTime() : older[index - 1]!.replacedAt.getTime(),
    }));
    versions.push({
      version: older.length,
      content: message.content,
      at: (message.editedAt ?? message.createdAt).getTime(),
    });
    return { messageId, contentType: message.contentType, versions };
  }
}
