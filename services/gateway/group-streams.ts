import type { ServerFrame } from '../platform/contracts/index.ts';
import type { Logger } from '../platform/logger.ts';
import type { PreparedFrame } from './prepared-frame.ts';

/** A user's read fan-out group as the message service describes it (ReadGroupStreams). */
export interface GroupStreamInfo {
  sessionId: string;
  /** Where a device with no position in the group starts (its latest membership's beginning). */
  startSeq: number;
  /** The newest group seq the user sees. */
  head: number;
  /** The user's syncSeq when the latest membership began. */
  afterSyncSeq: number;
}

export interface GroupStreamPage {
  items: Array<{ seq: number; frame: ServerFrame }>;
  head: number;
  hasMore: boolean;
}

/** What a device's group streams need from its connection and the message service. */
export interface GroupStreamsDeps {
  streams(userId: string): Promise<GroupStreamInfo[]>;
  page(userId: string, sessionId: string, afterSeq: number): Promise<GroupStreamPage>;
  /** Pushes a frame to the device (in order; it waits for MESSAGE_ACK like any NEW_MESSAGE). */
  push(frame: ServerFrame, prepared: PreparedFrame | undefined): void;
  /** How far the device has its timeline, in order. */
  timelineCursor(): number;
  closed(): boolean;
  logger: Logger;
  gapWaitMs: number;
}

interface Stream {
  /** The seq of the last message of the group the device has, in order. */
  cursor: number;
  /** The group's head when the stream started (a replay fetches only up to where it is behind). */
  head: number;
  /** The group's frames wait until the device's timeline reaches this (the group before it is there). */
  gate: number;
  early: Map<number, PreparedFrame>;
  /** This device's own sends (SEND_ACK answered them). */
  consumed: Set<number>;
  filling: boolean;
  timer: NodeJS.Timeout | undefined;
}

/**
 * One device's streams of its read fan-out groups (DESIGN §6): each group's NEW_MESSAGEs reach the
 * device strictly in the group's seq order, once, outside the timeline. Live frames that come
 * early wait for the ones before them, which are fetched if they do not turn up; a group the device
 * has no position in yet (it joined, or the group went read fan-out, while connected) is looked up.
 * Frames that come before the device's starting positions are known wait for them.
 */
export class DeviceGroupStreams {
  readonly #userId: string;
  readonly #deps: GroupStreamsDeps;
  readonly #streams = new Map<string, Stream>();
  /** Until start: live frames of groups, offered again once the positions are known. */
  #beforeStart: Array<[string, number, PreparedFrame]> | undefined = [];
  /** Groups being looked up, with the frames that came meanwhile. */
  readonly #discovering = new Map<string, Array<[number, PreparedFrame]>>();
  /** The device's own sends to groups it has no stream of yet (their SEND_ACK came first). */
  readonly #consumedEarly = new Map<string, Set<number>>();

  constructor(userId: string, deps: GroupStreamsDeps) {
    this.#userId = userId;
    this.#deps = deps;
  }

  /**
   * Sets where each group starts: the device's own position (`named`), else with a replay the
   * beginning of its membership, without one the group's head. Returns the positions.
   */
  start(streams: GroupStreamInfo[], named: Map<string, number>, replay: boolean) {
    for (const info of streams) {
      const cursor = named.get(info.sessionId) ?? (replay ? info.startSeq : info.head);
      this.#add(info.sessionId, newStream(cursor, info.head, info.afterSyncSeq));
    }
    const waiting = this.#beforeStart ?? [];
    this.#beforeStart = undefined;
    for (const [sessionId, seq, early] of waiting) this.offer(sessionId, seq, early);
    return this.positions();
  }

  /** Fetches what each group holds past the device's position (the replay after the timeline's). */
  async replay() {
    for (const [sessionId, stream] of this.#streams)
      if (stream.head > stream.cursor) await this.#fill(sessionId, stream);
  }

  positions(): Array<{ sessionId: string; seq: number }> {
    return [...this.#streams].map(([sessionId, stream]) => ({ sessionId, seq: stream.cursor }));
  }

  offer(sessionId: string, seq: number, prepared: PreparedFrame) {
    if (this.#beforeStart) {
      this.#beforeStart.push([sessionId, seq, prepared]);
      return;
    }
    const stream = this.#streams.get(sessionId);
    if (!stream) {
      this.#discover(sessionId, seq, prepared);
      return;
    }
    if (seq <= stream.cursor) return;
    // The usual case, the next frame with nothing waiting: pushed at once, nothing kept for it.
    if (
      seq === stream.cursor + 1 &&
      stream.early.size === 0 &&
      !stream.filling &&
      stream.gate === 0 &&
      !stream.consumed.has(seq) &&
      !this.#deps.closed()
    ) {
      stream.cursor = seq;
      this.#deps.push(prepared.frame, prepared);
      return;
    }
    stream.early.set(seq, prepared);
    this.#drain(sessionId, stream);
  }

  /** The device sent the message at `seq` itself (SEND_ACK): nothing to push for it. */
  consume(sessionId: string, seq: number) {
    const stream = this.#streams.get(sessionId);
    if (!stream) {
      const early = this.#consumedEarly.get(sessionId) ?? new Set<number>();
      this.#consumedEarly.set(sessionId, early);
      early.add(seq);
      return;
    }
    if (seq <= stream.cursor) return;
    stream.consumed.add(seq);
    this.#drain(sessionId, stream);
  }

  /** The device's timeline moved on: groups waiting for it may go on. */
  timelineMoved() {
    const at = this.#deps.timelineCursor();
    for (const [sessionId, stream] of this.#streams)
      if (stream.gate > 0 && at >= stream.gate) {
        stream.gate = 0;
        this.#drain(sessionId, stream);
      }
  }

  close() {
    for (const stream of this.#streams.values()) clearTimeout(stream.timer);
  }

  #discover(sessionId: string, seq: number, early: PreparedFrame) {
    const waiting = this.#discovering.get(sessionId);
    if (waiting) {
      waiting.push([seq, early]);
      return;
    }
    this.#discovering.set(sessionId, [[seq, early]]);
    void this.#deps
      .streams(this.#userId)
      .then((streams) => {
        const info = streams.find((s) => s.sessionId === sessionId);
        // Not a member in the message service's record (removed meanwhile): nothing to show.
        if (info && !this.#streams.has(sessionId))
          this.#add(sessionId, newStream(info.startSeq, info.head, info.afterSyncSeq));
      })
      .catch((error: unknown) =>
        this.#deps.logger.warn({ err: error, userId: this.#userId }, 'group stream lookup failed'),
      )
      .finally(() => {
        const frames = this.#discovering.get(sessionId) ?? [];
        this.#discovering.delete(sessionId);
        if (!this.#streams.has(sessionId)) return;
        for (const [s, e] of frames) this.offer(sessionId, s, e);
      });
  }

  #add(sessionId: string, stream: Stream) {
    for (const seq of this.#consumedEarly.get(sessionId) ?? [])
      if (seq > stream.cursor) stream.consumed.add(seq);
    this.#consumedEarly.delete(sessionId);
    this.#streams.set(sessionId, stream);
  }

  #drain(sessionId: string, stream: Stream) {
    if (stream.filling || this.#deps.closed()) return;
    if (stream.gate > 0 && this.#deps.timelineCursor() < stream.gate) return;
    stream.gate = 0;
    for (;;) {
      const next = stream.cursor + 1;
      if (stream.consumed.delete(next)) {
        stream.early.delete(next);
        stream.cursor = next;
        continue;
      }
      const early = stream.early.get(next);
      if (!early) break;
      stream.early.delete(next);
      stream.cursor = next;
      this.#deps.push(early.frame, early);
    }
    if (stream.early.size === 0) {
      clearTimeout(stream.timer);
      stream.timer = undefined;
    } else if (!stream.timer) {
      // A gap: the missing frames may still come; if not, they are fetched. Gaps are also where
      // the member was not in the group, or deleted a message: the fetch skips them.
      stream.timer = setTimeout(() => {
        stream.timer = undefined;
        void this.#fill(sessionId, stream);
      }, this.#deps.gapWaitMs);
    }
  }

  async #fill(sessionId: string, stream: Stream) {
    if (stream.filling || this.#deps.closed()) return;
    if (stream.gate > 0 && this.#deps.timelineCursor() < stream.gate) return;
    stream.filling = true;
    try {
      for (;;) {
        const page = await this.#deps.page(this.#userId, sessionId, stream.cursor);
        for (const item of page.items) {
          if (item.seq <= stream.cursor) continue;
          const early = stream.early.get(item.seq);
          stream.early.delete(item.seq);
          stream.cursor = item.seq;
          if (!stream.consumed.delete(item.seq)) this.#deps.push(item.frame, early);
        }
        if (!page.hasMore || this.#deps.closed()) {
          // Past what the member does not see (other memberships' messages, deleted ones).
          stream.cursor = Math.max(stream.cursor, page.head);
          break;
        }
      }
    } catch (error) {
      this.#deps.logger.warn({ err: error, userId: this.#userId, sessionId }, 'group stream fetch failed');
      stream.filling = false;
      if (!stream.timer && !this.#deps.closed())
        stream.timer = setTimeout(() => {
          stream.timer = undefined;
          void this.#fill(sessionId, stream);
        }, this.#deps.gapWaitMs * 4);
      return;
    }
    stream.filling = false;
    for (const seq of stream.early.keys()) if (seq <= stream.cursor) stream.early.delete(seq);
    for (const seq of stream.consumed) if (seq <= stream.cursor) stream.consumed.delete(seq);
    this.#drain(sessionId, stream);
  }
}

function newStream(cursor: number, head: number, gate: number): Stream {
  return { cursor, head, gate, early: new Map(), consumed: new Set(), filling: false, timer: undefined };
}
