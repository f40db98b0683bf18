import type { ProfileSummary, ServerFrame } from '../../platform/contracts/index.ts';
import { type MessageView, messageView, newMessageFrame } from './frames.ts';
import type { GroupStreamStore, MembershipPeriod } from './group-stream-store.ts';
import type { StoredMessage } from './store.ts';

/**
 * A member's stream of one read fan-out group: its messages by the group's `seq`, outside the
 * member's timeline. Devices keep a cursor per stream (the seq of the last message they took, in
 * order); NEW_MESSAGE frames of such groups carry `syncSeq` 0.
 */
export interface GroupStream {
  sessionId: string;
  /** Where a device that names no cursor for the stream starts: the latest membership's beginning. */
  startSeq: number;
  /** The newest seq the member sees (the group's, or where their membership ended). */
  head: number;
  /** The member's syncSeq when the latest membership began: the stream follows the timeline up to there. */
  afterSyncSeq: number;
}

export interface GroupStreamPage {
  items: Array<{ seq: number; frame: ServerFrame }>;
  /** The newest seq the member sees. */
  head: number;
  hasMore: boolean;
}

type Senders = (userIds: string[]) => Promise<Map<string, ProfileSummary | null>>;

export class GroupStreams {
  readonly #store: GroupStreamStore;
  readonly #senders: Senders;

  constructor(store: GroupStreamStore, senders: Senders) {
    this.#store = store;
    this.#senders = senders;
  }

  /** The user's read fan-out groups, current and left (until what they saw of them). */
  async streams(userId: string): Promise<GroupStream[]> {
    const bySession = new Map<string, MembershipPeriod[]>();
    for (const period of await this.#store.periods(userId)) {
      const periods = bySession.get(period.sessionId) ?? [];
      bySession.set(period.sessionId, periods);
      periods.push(period);
    }
    return [...bySession].map(([sessionId, periods]) => {
      const latest = periods.at(-1)!;
      return {
        sessionId,
        startSeq: latest.fromSeq,
        head: Math.min(latest.lastSeq, latest.toSeq ?? latest.lastSeq),
        afterSyncSeq: latest.afterSyncSeq,
      };
    });
  }

  /** The group's messages the user sees after `afterSeq`, as NEW_MESSAGE frames. */
  async page(userId: string, sessionId: string, afterSeq: number, limit: number): Promise<GroupStreamPage> {
    // The head first: every message up to it is committed, so the page holds them all unless cut
    // by the limit, and a device may move its cursor to the head when nothing more follows.
    const stream = (await this.streams(userId)).find((s) => s.sessionId === sessionId);
    const messages = stream ? await this.#store.messages(userId, sessionId, afterSeq, limit) : [];
    const views = await this.#views(messages);
    return {
      items: views.map((view) => ({ seq: view.seq, frame: newMessageFrame(view, 0) })),
      head: stream?.head ?? afterSeq,
      hasMore: messages.length === limit,
    };
  }

  /**
   * Offline pull of every read fan-out group: for each whose head moved past the device's cursor
   * (`named`; a group not named from the beginning of the latest membership), the missing
   * messages in order, up to `limit` a group, and the cursor to give next time.
   */
  async offline(userId: string, named: Map<string, number>, limit: number) {
    const streams = await this.streams(userId);
    const groups = [];
    for (const stream of streams) {
      const after = named.get(stream.sessionId) ?? stream.startSeq;
      if (stream.head <= after) continue;
      const messages = await this.#store.messages(userId, stream.sessionId, after, limit);
      const views = await this.#views(messages);
      const hasMore = messages.length === limit;
      groups.push({
        sessionId: stream.sessionId,
        messages: views.map((view) => ({ ...view, syncSeq: 0 })),
        // Past what the user does not see (deleted, cleared, between memberships) when nothing follows.
        groupSeq: hasMore ? (views.at(-1)?.seq ?? after) : stream.head,
        hasMore,
      });
    }
    return groups;
  }

  async #views(messages: StoredMessage[]): Promise<MessageView[]> {
    const senders = await this.#senders(messages.map((m) => m.senderId));
    return messages.map((m) => messageView(m, senders.get(m.senderId)));
  }
}
