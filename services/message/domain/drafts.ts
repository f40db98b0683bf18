import type { SqlExecutor } from '../../platform/db/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { MessageService } from './message-service.ts';
import type { TimelinePush } from './timeline-push.ts';

export interface Draft {
  sessionId: string;
  text: string;
  quoteMessageId: string | null;
  updatedAt: number;
}

const toDraft = (row: Record<string, unknown>): Draft => ({
  sessionId: row.session_id as string,
  text: row.text as string,
  quoteMessageId: (row.quote_message_id as string | null) ?? null,
  updatedAt: new Date(row.updated_at as string).getTime(),
});

/** message.drafts: one draft per (user, conversation). */
export class DraftStore {
  readonly #sql: SqlExecutor;

  constructor(sql: SqlExecutor) {
    this.#sql = sql;
  }

  async save(userId: string, draft: Omit<Draft, 'updatedAt'>): Promise<Draft> {
    const [row] = await this.#sql.query(
      `insert into message.drafts (user_id, session_id, text, quote_message_id) values (?, ?, ?, ?)
       on conflict (user_id, session_id) do update
         set text = excluded.text, quote_message_id = excluded.quote_message_id, updated_at = now()
       returning session_id, text, quote_message_id::text as quote_message_id, updated_at`,
      [userId, draft.sessionId, draft.text, draft.quoteMessageId],
    );
    return toDraft(row!);
  }

  async remove(userId: string, sessionId: string): Promise<boolean> {
    const rows = await this.#sql.query(
      'delete from message.drafts where user_id = ? and session_id = ? returning 1 as removed',
      [userId, sessionId],
    );
    return rows.length > 0;
  }

  async list(userId: string): Promise<Draft[]> {
    const rows = await this.#sql.query(
      `select session_id, text, quote_message_id::text as quote_message_id, updated_at
         from message.drafts where user_id = ? order by updated_at desc`,
      [userId],
    );
    return rows.map(toDraft);
  }
}

/**
 * Drafts kept for a user across devices: one per conversation they are in. Each change goes into
 * the user's timeline as DRAFT_UPDATED (`text` null once cleared), so their other devices get it
 * live or at their next sync; `GET` gives them all at once.
 */
export class Drafts {
  readonly #store: DraftStore;
  readonly #messages: MessageService;
  readonly #push: TimelinePush;
  readonly #ids: { next(): string };

  constructor(store: DraftStore, messages: MessageService, push: TimelinePush, ids: { next(): string }) {
    this.#store = store;
    this.#messages = messages;
    this.#push = push;
    this.#ids = ids;
  }

  async save(userId: string, draft: Omit<Draft, 'updatedAt'>, originDeviceId: string | undefined) {
    await this.#messages.shared.access(userId, draft.sessionId);
    // A quoted message must be one the user can see in this conversation.
    if (
      draft.quoteMessageId &&
      (await this.#messages.shared.visibleMessage(userId, draft.quoteMessageId)).message.sessionId !==
        draft.sessionId
    )
      throw new AppError(ErrorCode.MESSAGE_NOT_FOUND, {
        detail: 'quoteMessageId is not in this conversation',
      });
    const saved = await this.#store.save(userId, draft);
    await this.#announce(userId, saved, originDeviceId);
    return saved;
  }

  async clear(userId: string, sessionId: string, originDeviceId: string | undefined) {
    await this.#messages.shared.access(userId, sessionId);
    if (await this.#store.remove(userId, sessionId))
      await this.#announce(
        userId,
        { sessionId, text: null, quoteMessageId: null, updatedAt: Date.now() },
        originDeviceId,
      );
  }

  async list(userId: string) {
    return { drafts: await this.#store.list(userId) };
  }

  async #announce(
    userId: string,
    draft: Omit<Draft, 'text'> & { text: string | null },
    originDeviceId: string | undefined,
  ) {
    await this.#push.publish([
      {
        userId,
        kind: 'draft',
        eventId: `draft:${draft.sessionId}:${this.#ids.next()}`,
        payload: { ...draft, ...(originDeviceId ? { originDeviceId } : {}) },
      },
    ]);
  }
}
