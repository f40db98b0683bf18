import { mock } from 'node:test';
import { expect } from 'chai';
import { Connection, type ConnectionDeps } from '../../services/gateway/connection.ts';
import {
  decodeServerFrame,
  type FrameCodec,
  jsonCodec,
  protoCodec,
} from '../../services/gateway/protocol/index.ts';
import type { ServerFrame } from '../../services/platform/contracts/index.ts';
import { createLogger } from '../../services/platform/logger.ts';

const GAP_WAIT_MS = 300;
const ACK_TIMEOUT_MS = 5000;

/** A NEW_MESSAGE as the timeline holds it at `syncSeq`. */
const message = (syncSeq: number, extra: Record<string, unknown> = {}): ServerFrame => ({
  type: 'NEW_MESSAGE',
  msgId: `m${syncSeq}`,
  data: { messageId: `m${syncSeq}`, syncSeq, senderId: '2', clientMsgId: `c${syncSeq}`, ...extra },
});
const receipt = (syncSeq: number): ServerFrame => ({ type: 'MESSAGE_READ', data: { syncSeq } });

/**
 * One device's connection with a recording socket and a timeline held in memory: what the device
 * receives is read back from the socket, time is moved by hand (no sleeps).
 */
function harness(
  options: { timeline?: Map<number, ServerFrame | null>; pageSize?: number; codec?: FrameCodec } = {},
) {
  const timeline = options.timeline ?? new Map<number, ServerFrame | null>();
  const fetches: number[] = [];
  const delivered: string[][] = [];
  let failNextFetch = false;
  const socket = {
    sent: [] as ServerFrame[],
    bufferedAmount: 0,
    terminated: false,
    send(data: string | Uint8Array) {
      socket.sent.push(
        (typeof data === 'string' ? JSON.parse(data) : decodeServerFrame(data)) as unknown as ServerFrame,
      );
    },
    close() {},
    terminate() {
      socket.terminated = true;
    },
  };
  const deps: ConnectionDeps = {
    async timeline(_userId, after) {
      fetches.push(after);
      if (failNextFetch) {
        failNextFetch = false;
        throw new Error('message service unreachable');
      }
      const seqs = [...timeline.keys()].filter((seq) => seq > after).sort((x, y) => x - y);
      const page = seqs.slice(0, options.pageSize ?? 200);
      return {
        items: page.map((syncSeq) => ({ syncSeq, frame: timeline.get(syncSeq) ?? null })),
        hasMore: page.length < seqs.length,
      };
    },
    // These connections are in no read fan-out group (test/chat/read-fanout.test.ts covers those).
    groupStreams: async () => [],
    groupPage: async () => ({ items: [], head: 0, hasMore: false }),
    delivered: (_userId, ids) => delivered.push(ids),
    logger: createLogger('silent'),
    codec: options.codec ?? jsonCodec,
    maxBufferedBytes: 1024,
    ackTimeoutMs: ACK_TIMEOUT_MS,
    gapWaitMs: GAP_WAIT_MS,
    framesPerSecond: 10,
  };
  const conn = new Connection(
    socket as never,
    { userId: '1', deviceId: 'd1', authSessionId: 'a1', platform: 'web' },
    deps,
  );
  const seqs = () => socket.sent.map((f) => (f.data as { syncSeq?: number }).syncSeq);
  return {
    conn,
    socket,
    timeline,
    fetches,
    delivered,
    seqs,
    failNextFetch: () => {
      failNextFetch = true;
    },
  };
}

/** Lets the timeline's promises settle (no time passes). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe("a gateway connection's per-device ordering and gap fill", () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('pushes nothing before its starting point is known, then live frames in syncSeq order', async () => {
    const { conn, seqs } = harness();
    conn.offer(6, message(6));
    expect(seqs()).to.deep.equal([]);
    await conn.startAt(5, false);
    expect(seqs()).to.deep.equal([6]);
    conn.offer(8, message(8));
    expect(seqs(), 'waits for 7').to.deep.equal([6]);
    conn.offer(7, receipt(7));
    expect(seqs()).to.deep.equal([6, 7, 8]);
    conn.offer(7, receipt(7));
    conn.offer(3, message(3));
    expect(seqs(), 'behind the cursor: dropped').to.deep.equal([6, 7, 8]);
    expect(conn.cursor).to.equal(8);
  });

  it('fetches a gap that does not turn up within the wait, once, and drops the late live frame', async () => {
    const { conn, seqs, timeline, fetches } = harness();
    await conn.startAt(1, false);
    timeline.set(2, message(2)).set(3, message(3)).set(4, message(4));
    conn.offer(4, message(4));
    conn.offer(3, message(3));
    mock.timers.tick(GAP_WAIT_MS - 1);
    expect(fetches).to.deep.equal([]);
    mock.timers.tick(1);
    await settle();
    expect(fetches).to.deep.equal([1]);
    expect(seqs()).to.deep.equal([2, 3, 4]);
    conn.offer(2, message(2));
    mock.timers.tick(GAP_WAIT_MS * 10);
    await settle();
    expect(seqs(), 'each syncSeq once').to.deep.equal([2, 3, 4]);
    expect(fetches).to.deep.equal([1]);
  });

  it('does not fetch when the missing frame arrives within the wait', async () => {
    const { conn, seqs, fetches } = harness();
    await conn.startAt(1, false);
    conn.offer(3, message(3));
    mock.timers.tick(GAP_WAIT_MS / 2);
    conn.offer(2, message(2));
    mock.timers.tick(GAP_WAIT_MS * 2);
    await settle();
    expect(seqs()).to.deep.equal([2, 3]);
    expect(fetches).to.deep.equal([]);
  });

  it("skips the device's own sends (answered by SEND_ACK) and deleted messages without waiting", async () => {
    const { conn, seqs, timeline } = harness();
    await conn.startAt(0, false);
    conn.consume(1);
    conn.offer(2, message(2));
    expect(seqs()).to.deep.equal([2]);
    // A gap fill reaches the device's own message before its SEND_ACK: it is not pushed back.
    conn.sending('mine', true);
    timeline
      .set(3, message(3, { senderId: '1', clientMsgId: 'mine' }))
      .set(4, null)
      .set(5, message(5));
    conn.offer(5, message(5));
    mock.timers.tick(GAP_WAIT_MS);
    await settle();
    expect(seqs()).to.deep.equal([2, 5]);
    expect(conn.cursor).to.equal(5);
  });

  it('replays from the timeline page by page on SYNC, live frames meanwhile waiting their turn', async () => {
    const timeline = new Map<number, ServerFrame | null>();
    for (let seq = 1; seq <= 5; seq++) timeline.set(seq, message(seq));
    const { conn, seqs, fetches } = harness({ timeline, pageSize: 2 });
    const replay = conn.startAt(0, true);
    conn.offer(6, message(6));
    conn.offer(4, message(4));
    await replay;
    expect(fetches).to.deep.equal([0, 2, 4]);
    expect(seqs()).to.deep.equal([1, 2, 3, 4, 5, 6]);
    // SYNC from an older point replays again (the device asked for it).
    await conn.startAt(4, true);
    expect(seqs().slice(6)).to.deep.equal([5]);
  });

  it('retries a failed timeline fetch later and then delivers in order', async () => {
    const { conn, seqs, timeline, fetches, failNextFetch } = harness();
    await conn.startAt(0, false);
    timeline.set(1, message(1)).set(2, message(2));
    failNextFetch();
    conn.offer(2, message(2));
    mock.timers.tick(GAP_WAIT_MS);
    await settle();
    expect(fetches).to.deep.equal([0]);
    expect(seqs()).to.deep.equal([]);
    mock.timers.tick(GAP_WAIT_MS * 4);
    await settle();
    expect(fetches).to.deep.equal([0, 0]);
    expect(seqs()).to.deep.equal([1, 2]);
  });

  it('resends an unacknowledged NEW_MESSAGE once, then leaves it to sync; acknowledged ones count as delivered', async () => {
    const { conn, socket, delivered } = harness();
    await conn.startAt(0, false);
    conn.offer(1, message(1));
    conn.offer(2, message(2));
    conn.offer(3, receipt(3));
    expect(conn.awaitingAcks, 'receipts are not acknowledged').to.equal(2);
    conn.acknowledge(['m2']);
    expect(delivered).to.deep.equal([['m2']]);
    conn.checkAcks(Date.now() + ACK_TIMEOUT_MS - 1);
    expect(socket.sent).to.have.length(3);
    conn.checkAcks(Date.now() + ACK_TIMEOUT_MS);
    expect(socket.sent.map((f) => f.msgId)).to.deep.equal(['m1', 'm2', undefined, 'm1']);
    conn.checkAcks(Date.now() + ACK_TIMEOUT_MS * 2);
    expect(socket.sent).to.have.length(4);
    expect(conn.awaitingAcks).to.equal(0);
    // Late acknowledgements still record delivery.
    conn.acknowledge(['m1']);
    expect(delivered).to.deep.equal([['m2'], ['m1']]);
  });

  it('cuts off a client too slow to read what it has and sends nothing more', async () => {
    const { conn, socket } = harness();
    await conn.startAt(0, false);
    socket.bufferedAmount = 1025;
    conn.offer(1, message(1));
    expect(socket.terminated).to.equal(true);
    expect(socket.sent).to.deep.equal([]);
    expect(conn.closed).to.equal(true);
  });

  it('skips a frame its encoding cannot carry and goes on with the next', async () => {
    const { conn, seqs } = harness({ codec: protoCodec });
    await conn.startAt(0, false);
    conn.offer(1, message(1, { seq: 'not a number' }));
    conn.offer(2, message(2, { seq: 2 }));
    expect(seqs()).to.deep.equal([2]);
  });
});
