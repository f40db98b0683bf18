import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import type { ServerFrame } from '../platform/contracts/index.ts';
import type { Logger } from '../platform/logger.ts';
import { DeviceGroupStreams, type GroupStreamInfo, type GroupStreamPage } from './group-streams.ts';
import {
  ackTimeouts,
  countFrameSent,
  redeliveries,
  replayedFrames,
  slowClientsDisconnected,
  syncReplays,
} from './metrics.ts';
import type { AwaitingAck, PreparedFrame } from './prepared-frame.ts';
import type { FrameCodec } from './protocol/index.ts';

/** What a connection uses of its WebSocket. */
export type FrameSocket = Pick<WebSocket, 'send' | 'close' | 'terminate' | 'bufferedAmount' | 'readyState'>;

/**
 * The TCP socket under a WebSocket that negotiated no extension: frames prepared once for many
 * devices are written to it as they are. Without per-message deflate ws writes every frame at once,
 * in the order it is sent, so a write here keeps its place among them.
 */
export type RawFrameSocket = Pick<Duplex, 'write'>;

/** A page of the user's timeline after a syncSeq: items in order, and whether more follow. */
export interface TimelinePage {
  items: Array<{ syncSeq: number; frame: ServerFrame | null }>;
  hasMore: boolean;
}

/** A page read before the replay started, after `after`. */
export type FirstPage = TimelinePage & { after: number };

/** What a connection needs from the rest of the gateway. */
export interface ConnectionDeps {
  /** The user's timeline after a syncSeq: items in order, and whether more follow. */
  timeline(userId: string, afterSyncSeq: number): Promise<TimelinePage>;
  /** Messages the device acknowledged (batched). */
  delivered(userId: string, messageIds: string[]): void;
  /** The user's read fan-out groups, and a page of one of them after a group seq. */
  groupStreams(userId: string): Promise<GroupStreamInfo[]>;
  groupPage(userId: string, sessionId: string, afterSeq: number): Promise<GroupStreamPage>;
  logger: Logger;
  /** The encoding the client chose at connect (JSON or binary protobuf). */
  codec: FrameCodec;
  maxBufferedBytes: number;
  ackTimeoutMs: number;
  /** How long an out-of-order frame waits for the ones before it before they are fetched. */
  gapWaitMs: number;
  framesPerSecond: number;
}

/**
 * One device's WebSocket. Everything numbered in the user's timeline reaches the device strictly
 * in syncSeq order, once: live frames that arrive early wait for the missing ones, which are
 * fetched from the timeline if they do not turn up. NEW_MESSAGE frames wait for MESSAGE_ACK and
 * are resent once; after that the device gets them through sync.
 */
export class Connection {
  readonly userId: string;
  readonly deviceId: string;
  /** The login session the token belongs to (not a conversation). */
  readonly authSessionId: string;
  readonly platform: string;
  /** A bot token's scopes (frames outside them are refused); undefined for a user's token. */
  readonly scopes: readonly string[] | undefined;
  readonly connectedAt = Date.now();
  lastSeen = Date.now();
  closed = false;
  /** The device's entry is in the presence registry (written, or kept from a socket within the offline grace). */
  registered = false;

  readonly #ws: FrameSocket;
  readonly #raw: RawFrameSocket | undefined;
  readonly #deps: ConnectionDeps;
  /** Last syncSeq delivered (or consumed) in order. */
  #cursor = 0;
  /** True until startAt: nothing is pushed before the device's starting point is known. */
  #replaying = true;
  /** Whether startAt ran: the cursor is the device's position from then on. */
  #started = false;
  #gapTimer: NodeJS.Timeout | undefined;
  /** A failed timeline fetch is tried again by this. */
  #retryTimer: NodeJS.Timeout | undefined;
  // The collections below are made on first use: most connections sit idle and never need them
  // (an empty Map or Set costs a hash table each; 15,000 idle sockets hold them all).
  /** Live frames that came before the ones they follow. */
  #early: Map<number, ServerFrame | null> | undefined;
  /** syncSeqs of this device's own sends, answered by SEND_ACK instead of NEW_MESSAGE. */
  #consumed: Set<number> | undefined;
  /** clientMsgIds of this device's sends still waiting for their SEND_ACK. */
  #sending: Set<string> | undefined;
  #awaitingAck: Map<string, AwaitingAck> | undefined;
  #tokens: number;
  #tokensAt = Date.now();
  /** Frames refused since the bucket was last full: a client that lets it refill is forgiven. */
  #refusedSinceFull = 0;
  /** The device's sends in order (from its first send on). */
  #sendChain: Promise<unknown> | undefined;
  /** Read fan-out groups' streams (group-streams.ts); made when the device has or gets such a group. */
  #groups: DeviceGroupStreams | undefined;
  /** Whether the groups' starting positions are set (frames before that wait for them). */
  #groupsStarted = false;

  constructor(
    ws: FrameSocket,
    who: {
      userId: string;
      deviceId: string;
      authSessionId: string;
      platform: string;
      scopes?: readonly string[] | undefined;
    },
    deps: ConnectionDeps,
    raw?: RawFrameSocket,
  ) {
    this.#ws = ws;
    this.#raw = raw;
    this.userId = who.userId;
    this.deviceId = who.deviceId;
    this.authSessionId = who.authSessionId;
    this.platform = who.platform;
    this.scopes = who.scopes;
    this.#deps = deps;
    this.#tokens = deps.framesPerSecond * 2;
  }

  get codec() {
    return this.#deps.codec;
  }

  get cursor() {
    return this.#cursor;
  }

  /**
   * The device's position in the timeline as far as it acknowledged it: just before the first
   * NEW_MESSAGE still waiting for its MESSAGE_ACK, else the cursor. What lies after it may have
   * been written into a socket that was already dead. Undefined before the stream started.
   */
  get acknowledgedCursor(): number | undefined {
    if (!this.#started) return undefined;
    let position = this.#cursor;
    for (const { frame } of this.#awaitingAck?.values() ?? []) {
      const syncSeq = (frame.data as { syncSeq?: unknown } | undefined)?.syncSeq;
      if (typeof syncSeq === 'number' && syncSeq - 1 < position) position = syncSeq - 1;
    }
    return Math.max(position, 0);
  }

  /**
   * Sends a frame unless the client is too slow to read what it already has; then it is cut off.
   * `prepared`: the frame serialized once for many devices (prepared-frame.ts).
   */
  send(frame: ServerFrame, prepared?: PreparedFrame): boolean {
    if (this.closed) return false;
    if (this.#ws.bufferedAmount > this.#deps.maxBufferedBytes) {
      this.#deps.logger.warn(
        { userId: this.userId, deviceId: this.deviceId, buffered: this.#ws.bufferedAmount },
        'slow client disconnected (send buffer over its bound)',
      );
      slowClientsDisconnected.inc();
      this.terminate();
      return false;
    }
    const codec = this.#deps.codec;
    if (prepared) {
      const wire = this.#raw && prepared.wire(codec);
      if (wire) {
        if (this.#ws.readyState !== WebSocket.OPEN) return false;
        this.#raw!.write(wire);
        countFrameSent(frame.type);
        return true;
      }
    }
    let payload: string | Uint8Array;
    try {
      payload = prepared?.payload(codec) ?? codec.encode(frame);
    } catch (error) {
      // A frame the encoding cannot carry (a producer's bug) is this frame's loss, not the
      // delivery's: the devices after this one still get theirs.
      this.#deps.logger.error(
        { err: error, type: frame.type, encoding: codec.encoding },
        'frame could not be encoded; not sent',
      );
      return false;
    }
    // Said outright: a JSON frame encoded once for many arrives here as a Buffer and is still text.
    this.#ws.send(payload, { binary: codec.encoding === 'proto' });
    countFrameSent(frame.type);
    return true;
  }

  close(code: number, reason: string) {
    if (this.closed) return;
    this.closed = true;
    this.#clearTimers();
    this.#ws.close(code, reason);
  }

  terminate() {
    this.closed = true;
    this.#clearTimers();
    this.#ws.terminate();
  }

  #clearTimers() {
    this.#groups?.close();
    this.#clearGapTimer();
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #clearGapTimer() {
    clearTimeout(this.#gapTimer);
    this.#gapTimer = undefined;
  }

  /** Token bucket: true when the frame may be processed. */
  admit(): boolean {
    const now = Date.now();
    const rate = this.#deps.framesPerSecond;
    const capacity = rate * 2;
    this.#tokens = Math.min(capacity, this.#tokens + ((now - this.#tokensAt) / 1000) * rate);
    this.#tokensAt = now;
    // Not "refused in a row": how fast the server reads a flood decides how often a token comes back
    // between its frames (a busy server reads slowly and would interleave admits), so a flooding
    // client is known by never pausing long enough to refill the bucket, whatever the server's speed.
    if (this.#tokens >= capacity) this.#refusedSinceFull = 0;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    this.#refusedSinceFull++;
    return false;
  }

  get refusedSinceFull() {
    return this.#refusedSinceFull;
  }

  /** Runs sends one after another, so a device's messages keep the order it sent them in. */
  serially<T>(work: () => Promise<T>): Promise<T> {
    const run = (this.#sendChain ?? Promise.resolve()).then(work, work);
    this.#sendChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Starts (or restarts) the ordered stream after `syncSeq`, replaying what the device lacks;
   * `first`: the replay's first page when the caller read it already.
   */
  async startAt(syncSeq: number, replay: boolean, first?: FirstPage) {
    this.#cursor = syncSeq;
    this.#started = true;
    if (this.#consumed) for (const seq of this.#consumed) if (seq <= syncSeq) this.#consumed.delete(seq);
    if (this.#early) for (const seq of this.#early.keys()) if (seq <= syncSeq) this.#early.delete(seq);
    this.#replaying = false;
    if (replay) {
      syncReplays.inc({ reason: 'connect' });
      await this.#fill(first);
    } else this.#drain();
  }

  /** A frame with its place in the timeline (live push). */
  offer(syncSeq: number, frame: ServerFrame | null) {
    if (syncSeq <= this.#cursor || this.closed) return;
    this.#early ??= new Map();
    this.#early.set(syncSeq, frame);
    this.#drain();
  }

  /** A send of this device is under way: its message must not come back to it as NEW_MESSAGE. */
  sending(clientMsgId: string, underway: boolean) {
    if (underway) {
      this.#sending ??= new Set();
      this.#sending.add(clientMsgId);
    } else this.#sending?.delete(clientMsgId);
  }

  /** This device sent the message at `syncSeq` itself (SEND_ACK): nothing to push for it. */
  consume(syncSeq: number) {
    if (syncSeq <= this.#cursor) return;
    this.#consumed ??= new Set();
    this.#consumed.add(syncSeq);
    this.#drain();
  }

  /**
   * Sets where the device's read fan-out groups start (its own positions, `named`; else with a
   * replay the beginning of its membership, without one the group's head) and returns them.
   */
  startGroups(streams: GroupStreamInfo[], named: Map<string, number>, replay: boolean) {
    this.#groupsStarted = true;
    if (streams.length === 0 && !this.#groups) return [];
    return this.#groupStreams().start(streams, named, replay);
  }

  /** Replays each read fan-out group past the device's position (after the timeline's replay). */
  async replayGroups() {
    await this.#groups?.replay();
  }

  get groupPositions() {
    return this.#groups?.positions() ?? [];
  }

  /** A read fan-out group's message with its place in the group (live push). */
  offerGroup(sessionId: string, seq: number, prepared: PreparedFrame) {
    if (!this.closed) this.#groupStreams().offer(sessionId, seq, prepared);
  }

  /** This device sent the group message at `seq` itself (SEND_ACK): nothing to push for it. */
  consumeGroup(sessionId: string, seq: number) {
    this.#groups?.consume(sessionId, seq);
  }

  #groupStreams(): DeviceGroupStreams {
    if (this.#groups) return this.#groups;
    const groups = new DeviceGroupStreams(this.userId, {
      streams: (userId) => this.#deps.groupStreams(userId),
      page: (userId, sessionId, afterSeq) => this.#deps.groupPage(userId, sessionId, afterSeq),
      push: (frame, prepared) => this.#push(frame, prepared),
      timelineCursor: () => this.#cursor,
      closed: () => this.closed,
      logger: this.#deps.logger,
      gapWaitMs: this.#deps.gapWaitMs,
    });
    this.#groups = groups;
    // Made after the start (a group joined while connected): nothing to wait for.
    if (this.#groupsStarted) groups.start([], new Map(), false);
    return groups;
  }

  acknowledge(messageIds: string[]) {
    if (this.#awaitingAck) for (const messageId of messageIds) this.#awaitingAck.delete(messageId);
    // Ids acknowledged after their resend window closed still count as delivered.
    this.#deps.delivered(this.userId, messageIds);
  }

  /** Resends unacknowledged NEW_MESSAGEs once after the timeout; gives up after the second. */
  checkAcks(now: number) {
    if (!this.#awaitingAck) return;
    for (const [messageId, entry] of this.#awaitingAck) {
      if (entry.due > now) continue;
      if (entry.resent) {
        this.#awaitingAck.delete(messageId);
        ackTimeouts.inc();
        continue;
      }
      redeliveries.inc();
      // The entry may be shared with other devices (prepared-frame.ts): this device's resend gets its own.
      this.#awaitingAck.set(messageId, { ...entry, due: now + this.#deps.ackTimeoutMs, resent: true });
      this.send(entry.frame, entry.prepared);
    }
  }

  get awaitingAcks() {
    return this.#awaitingAck?.size ?? 0;
  }

  #drain() {
    if (this.#replaying || this.closed) return;
    for (;;) {
      const next = this.#cursor + 1;
      if (this.#consumed?.delete(next)) {
        this.#early?.delete(next);
        this.#cursor = next;
        continue;
      }
      if (!this.#early?.has(next)) break;
      const frame = this.#early.get(next)!;
      this.#early.delete(next);
      this.#cursor = next;
      if (frame) this.#push(frame);
    }
    this.#groups?.timelineMoved();
    // The gap closed by itself: nothing to fetch.
    if (!this.#early?.size) this.#clearGapTimer();
    else if (!this.#gapTimer) {
      this.#gapTimer = setTimeout(() => {
        this.#gapTimer = undefined;
        syncReplays.inc({ reason: 'gap' });
        void this.#fill();
      }, this.#deps.gapWaitMs);
    }
  }

  #push(frame: ServerFrame, prepared?: PreparedFrame) {
    // A gap fill can reach this device's own message before its SEND_ACK does: SEND_ACK answers it.
    const data = frame.data as { senderId?: string; clientMsgId?: string } | undefined;
    if (
      frame.type === 'NEW_MESSAGE' &&
      data?.senderId === this.userId &&
      data.clientMsgId !== undefined &&
      this.#sending?.has(data.clientMsgId)
    )
      return;
    if (!this.send(frame, prepared)) return;
    if (frame.type === 'NEW_MESSAGE' && frame.msgId) {
      this.#awaitingAck ??= new Map();
      const now = Date.now();
      this.#awaitingAck.set(
        frame.msgId,
        prepared
          ? prepared.awaiting(now, this.#deps.ackTimeoutMs)
          : { frame, prepared: undefined, due: now + this.#deps.ackTimeoutMs, resent: false },
      );
    }
  }

  /** Fetches from the timeline whatever lies between the cursor and what is buffered (or the head). */
  async #fill(first?: FirstPage) {
    if (this.#replaying || this.closed) return;
    this.#replaying = true;
    let read = first;
    try {
      for (;;) {
        const page =
          read?.after === this.#cursor ? read : await this.#deps.timeline(this.userId, this.#cursor);
        read = undefined;
        for (const item of page.items) {
          if (item.syncSeq <= this.#cursor) continue;
          if (this.#consumed?.delete(item.syncSeq)) {
            this.#cursor = item.syncSeq;
            continue;
          }
          this.#early?.delete(item.syncSeq);
          this.#cursor = item.syncSeq;
          replayedFrames.inc();
          if (item.frame) this.#push(item.frame);
        }
        if (!page.hasMore || page.items.length === 0 || this.closed) break;
      }
    } catch (error) {
      this.#deps.logger.warn({ err: error, userId: this.userId }, 'timeline fetch failed; will retry');
      this.#replaying = false;
      if (!this.#retryTimer && !this.closed)
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          void this.#fill();
        }, this.#deps.gapWaitMs * 4);
      return;
    }
    this.#replaying = false;
    this.#drain();
  }
}
