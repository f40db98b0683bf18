/**
 * One sender and one receiver (two befriended users), each a reconnecting client, and the checks of
 * DESIGN §6 on what they see. The sender resends every message it has no SEND_ACK for, with the
 * same client message id, on each new connection (and after an ERROR); the receiver acknowledges
 * every NEW_MESSAGE and reconnects with the highest syncSeq it holds.
 *
 * What counts against the promise:
 * - lost: a message acknowledged to its sender never reaches the receiver (live, by a reconnect's
 *   replay, or by the final SYNC);
 * - duplicated: a message the receiver already holds comes again on a later connection (a syncSeq at
 *   or below the one it gave when connecting), one message under two syncSeqs, one send stored as
 *   two messages, or two SEND_ACKs with different messages for one send;
 * - out of order: within a connection syncSeqs must rise by one, and over the whole run the
 *   receiver's messages must follow the conversation's seq one by one.
 * A NEW_MESSAGE resent on the same connection (no MESSAGE_ACK seen within 5 s) is the gateway's
 * documented resend, counted apart and not a duplicate.
 */
import { type Frame, ReconnectingSocket } from './reconnecting-socket.ts';

export interface PairCounts {
  generated: number;
  acked: number;
  /** SEND_MESSAGE frames written, resends included. */
  sendsWritten: number;
  resentSends: number;
  sendErrors: Record<string, number>;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  syncGaps: number;
  /** The gateway's resend of an unacknowledged NEW_MESSAGE on the same connection. */
  pushResends: number;
  /** Delivered only by the final SYNC (their live push was lost and no later message closed the gap). */
  byFinalSync: number;
  reconnects: number;
  refused: number;
}

export interface Account {
  userId: string;
  accessToken: string;
}

interface Pending {
  firstSentAt: number;
  /** Connection number it was last written on (0: not yet written). */
  writtenOn: number;
}

export class CheckedPair {
  readonly sender: ReconnectingSocket;
  readonly receiver: ReconnectingSocket;
  readonly counts: PairCounts = {
    generated: 0,
    acked: 0,
    sendsWritten: 0,
    resentSends: 0,
    sendErrors: {},
    delivered: 0,
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
    syncGaps: 0,
    pushResends: 0,
    byFinalSync: 0,
    reconnects: 0,
    refused: 0,
  };
  /** Send → delivery latencies (ms) of delivered messages, with when they were first sent. */
  readonly latencies: Array<{ sentAt: number; ms: number }> = [];

  readonly #index: number;
  readonly #to: string;
  #next = 0;
  readonly #pending = new Map<number, Pending>();
  readonly #acked = new Map<number, { messageId: string; at: number }>();
  readonly #firstSentAt = new Map<number, number>();
  /** Every message below this one is acknowledged and delivered. */
  #doneBelow = 0;
  // Receiver side.
  /** Highest syncSeq held without a gap: given at each reconnect. */
  #held = 0;
  /** syncSeqs seen on the receiver's current connection (for the gateway's own resends). */
  #connectionSeen = new Set<number>();
  #connectionLast = 0;
  #lastSeq: number | undefined;
  readonly #messageIds = new Map<string, number>();
  readonly #byN = new Map<number, string>();
  #finalSync = false;
  #syncDone: (() => void) | undefined;

  /** `url(role)`: where the sender (0) or the receiver (1) connects now, as ws(s)://host:port. */
  constructor(index: number, url: (role: 0 | 1) => string, from: Account, to: Account) {
    this.#index = index;
    this.#to = to.userId;
    const token = (account: Account) => `token=${encodeURIComponent(account.accessToken)}`;
    this.sender = new ReconnectingSocket(() => `${url(0)}/ws?${token(from)}`, {
      frame: (frame) => this.#senderFrame(frame),
      opened: (first) => {
        if (!first) this.counts.reconnects++;
        this.#resendPending();
      },
    });
    this.receiver = new ReconnectingSocket(
      () => `${url(1)}/ws?${token(to)}${this.receiver.connects > 0 ? `&syncSeq=${this.#held}` : ''}`,
      {
        frame: (frame) => this.#receiverFrame(frame),
        opened: (first) => {
          if (!first) this.counts.reconnects++;
        },
      },
    );
  }

  async start() {
    await this.receiver.start();
    await this.sender.start();
  }

  /** The next message: sent now if the sender is connected, else on its next connection. */
  generate(now: number) {
    const n = this.#next++;
    this.counts.generated++;
    this.#firstSentAt.set(n, now);
    this.#pending.set(n, { firstSentAt: now, writtenOn: 0 });
    this.#write(n);
  }

  get open() {
    return this.sender.open && this.receiver.open;
  }

  /** Messages generated before `t` that are not yet acknowledged and delivered. */
  outstandingBefore(t: number): number {
    let count = 0;
    for (let n = this.#doneBelow; n < this.#next; n++) {
      if (this.#firstSentAt.get(n)! >= t) break;
      if (this.#done(n)) {
        if (count === 0) this.#doneBelow = n + 1;
      } else count++;
    }
    return count;
  }

  #done(n: number) {
    const acked = this.#acked.get(n);
    return acked !== undefined && this.#messageIds.has(acked.messageId);
  }

  get unacked() {
    return this.#pending.size;
  }

  /** Acknowledged messages the receiver does not hold yet. */
  get undelivered() {
    let count = 0;
    for (const { messageId } of this.#acked.values()) if (!this.#messageIds.has(messageId)) count++;
    return count;
  }

  /** Asks for everything after the held syncSeq (what a client does when it suspects a gap); resolves at SYNC_COMPLETE. */
  finalSync(): Promise<void> {
    this.#finalSync = true;
    return new Promise((resolve) => {
      this.#syncDone = resolve;
      if (!this.receiver.send({ type: 'SYNC', data: { syncSeq: this.#held } })) resolve();
    });
  }

  /** Counts what never arrived; call once, at the end. */
  finish() {
    this.counts.lost = this.undelivered;
    this.sender.stop();
    this.receiver.stop();
    if (this.sender.refused || this.receiver.refused) this.counts.refused++;
    return this.counts;
  }

  #write(n: number) {
    const pending = this.#pending.get(n);
    if (!pending || !this.sender.open) return;
    const sent = this.sender.send({
      type: 'SEND_MESSAGE',
      msgId: `m${this.#index}-${n}`,
      data: { sessionType: 'single', targetId: this.#to, contentType: 'text', content: `load:${n}` },
    });
    if (!sent) return;
    if (pending.writtenOn !== 0) this.counts.resentSends++;
    pending.writtenOn = this.sender.connects;
    this.counts.sendsWritten++;
  }

  /** A new sender connection: everything without a SEND_ACK goes again, in order. */
  #resendPending() {
    for (const n of this.#pending.keys()) this.#write(n);
  }

  #senderFrame(frame: Frame) {
    const n = frame.msgId?.startsWith('m') ? Number(frame.msgId.split('-')[1]) : Number.NaN;
    if (frame.type === 'SEND_ACK' && !Number.isNaN(n)) {
      const messageId = String(frame.data?.messageId);
      const earlier = this.#acked.get(n);
      if (earlier && earlier.messageId !== messageId) this.counts.duplicated++;
      if (!earlier) {
        this.#acked.set(n, { messageId, at: performance.now() });
        this.counts.acked++;
      }
      this.#pending.delete(n);
    } else if (frame.type === 'ERROR' && !Number.isNaN(n)) {
      const code = String(frame.data?.code ?? frame.code);
      this.counts.sendErrors[code] = (this.counts.sendErrors[code] ?? 0) + 1;
      // A refused send (the service unreachable for now) is tried again, as a client would.
      const connection = this.sender.connects;
      setTimeout(() => {
        if (this.sender.connects === connection) this.#write(n);
      }, 1_000);
    }
  }

  #receiverFrame(frame: Frame) {
    if (frame.type === 'CONNECT_ACK') {
      // The first connection starts at the head; later ones replay from what is held.
      if (this.receiver.connects === 0) this.#held = Number(frame.data?.syncSeq ?? 0);
      this.#connectionSeen = new Set();
      this.#connectionLast = this.#held;
      return;
    }
    if (frame.type === 'SYNC_COMPLETE') {
      this.#syncDone?.();
      this.#syncDone = undefined;
      return;
    }
    const syncSeq = frame.data?.syncSeq;
    if (typeof syncSeq !== 'number') return;
    if (frame.type === 'NEW_MESSAGE')
      this.receiver.send({ type: 'MESSAGE_ACK', data: { messageIds: [String(frame.data?.messageId)] } });
    if (syncSeq <= this.#connectionLast) {
      if (this.#connectionSeen.has(syncSeq)) this.counts.pushResends++;
      else this.counts.duplicated++;
      return;
    }
    if (syncSeq !== this.#connectionLast + 1) this.counts.syncGaps++;
    this.#connectionLast = syncSeq;
    this.#connectionSeen.add(syncSeq);
    this.#held = syncSeq;
    if (frame.type === 'NEW_MESSAGE') this.#message(frame.data!, syncSeq);
  }

  #message(data: Record<string, unknown>, syncSeq: number) {
    const messageId = String(data.messageId);
    const n = Number(String(data.content).split(':')[1]);
    if (this.#messageIds.has(messageId) || (this.#byN.has(n) && this.#byN.get(n) !== messageId)) {
      this.counts.duplicated++;
      return;
    }
    this.#messageIds.set(messageId, syncSeq);
    this.#byN.set(n, messageId);
    const seq = Number(data.seq);
    if (this.#lastSeq !== undefined && seq !== this.#lastSeq + 1) this.counts.outOfOrder++;
    this.#lastSeq = seq;
    const now = performance.now();
    this.counts.delivered++;
    if (this.#finalSync) this.counts.byFinalSync++;
    const sentAt = this.#firstSentAt.get(n);
    if (sentAt !== undefined) this.latencies.push({ sentAt, ms: now - sentAt });
  }
}
