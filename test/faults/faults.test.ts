/**
 * The short fault run: the embedded platform on PostgreSQL is SIGKILLed under load and started again,
 * and every acknowledged message must still arrive once, in order (the long runs, the cluster shape
 * and their figures: test/faults/run.ts, BENCHMARKS.md). First, the checker itself is shown to catch
 * what it is there to catch, against a gateway that misbehaves on purpose.
 */
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { type WebSocket, WebSocketServer } from 'ws';
import { requirePostgres } from '../support/backends.ts';
import { CheckedLoad } from './checked-load.ts';
import { CheckedPair } from './checked-pair.ts';
import { embeddedShape, type Shape } from './shapes.ts';

interface Push {
  n: number;
  frame: { type: string; msgId: string; data: Record<string, unknown> };
}

/**
 * A gateway for two users (token `a` sends to `b`) that stores and numbers messages correctly and
 * hands each push to `misbehave`, which answers the pushes actually written to `b`.
 */
async function scriptedGateway(misbehave: (push: Push, nextSyncSeq: () => number) => Push[]) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  let seq = 0;
  let syncSeq = 0;
  const receivers = new Set<WebSocket>();
  server.on('connection', (ws, request) => {
    const token = new URL(request.url!, 'http://x').searchParams.get('token');
    ws.send(JSON.stringify({ type: 'CONNECT_ACK', data: { syncSeq: 0 } }));
    if (token === 'b') receivers.add(ws);
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString());
      if (frame.type === 'SYNC') ws.send(JSON.stringify({ type: 'SYNC_COMPLETE', data: {} }));
      if (frame.type !== 'SEND_MESSAGE') return;
      const n = Number(String(frame.data.content).split(':')[1]);
      const messageId = `id${n}`;
      seq++;
      ws.send(JSON.stringify({ type: 'SEND_ACK', msgId: frame.msgId, data: { messageId, seq } }));
      const push: Push = {
        n,
        frame: {
          type: 'NEW_MESSAGE',
          msgId: messageId,
          data: { messageId, seq, syncSeq: ++syncSeq, content: frame.data.content },
        },
      };
      for (const out of misbehave(push, () => ++syncSeq))
        for (const receiver of receivers) receiver.send(JSON.stringify(out.frame));
    });
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Three messages through a scripted gateway; the counts once all are acknowledged. */
async function countsThrough(misbehave: Parameters<typeof scriptedGateway>[0]) {
  const gateway = await scriptedGateway(misbehave);
  try {
    const pair = new CheckedPair(
      0,
      () => gateway.url,
      { userId: 'a', accessToken: 'a' },
      { userId: 'b', accessToken: 'b' },
    );
    await pair.start();
    for (let i = 0; i < 3; i++) pair.generate(performance.now());
    while (pair.unacked > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await pair.finalSync();
    return pair.finish();
  } finally {
    await gateway.close();
  }
}

describe('fault-run checker', () => {
  it('counts nothing against a gateway that delivers everything once, in order', async () => {
    const counts = await countsThrough((push) => [push]);
    expect(counts).to.include({ acked: 3, delivered: 3, lost: 0, duplicated: 0, outOfOrder: 0, syncGaps: 0 });
  });

  it('counts an acknowledged message that never arrives as lost', async () => {
    const counts = await countsThrough((push) => (push.n === 1 ? [] : [push]));
    expect(counts.lost).to.equal(1);
  });

  it('counts one message pushed under two syncSeqs as duplicated', async () => {
    const counts = await countsThrough((push, nextSyncSeq) =>
      push.n === 1
        ? [push, { ...push, frame: { ...push.frame, data: { ...push.frame.data, syncSeq: nextSyncSeq() } } }]
        : [push],
    );
    expect(counts.duplicated).to.equal(1);
    expect(counts.lost).to.equal(0);
  });

  it("counts messages out of the conversation's seq order, and a syncSeq gap", async () => {
    let held: Push | undefined;
    const swapped = await countsThrough((push) => {
      if (push.n === 0) {
        held = push;
        return [];
      }
      if (push.n !== 1) return [push];
      // Message 1 goes first, under message 0's syncSeq: syncSeqs rise by one, seqs do not.
      const first = { ...push, frame: { ...push.frame, data: { ...push.frame.data, syncSeq: 1 } } };
      const second = { ...held!, frame: { ...held!.frame, data: { ...held!.frame.data, syncSeq: 2 } } };
      return [first, second];
    });
    expect(swapped.outOfOrder).to.be.greaterThan(0);
    const gapped = await countsThrough((push, nextSyncSeq) =>
      push.n === 1
        ? [{ ...push, frame: { ...push.frame, data: { ...push.frame.data, syncSeq: nextSyncSeq() } } }]
        : [push],
    );
    expect(gapped.syncGaps).to.be.greaterThan(0);
  });
});

describe('faults under load: the embedded platform on PostgreSQL killed and restarted', function () {
  this.timeout(180_000);
  let shape: Shape | undefined;
  let dispose: (() => Promise<void>) | undefined;

  before(async function () {
    await requirePostgres(this);
    const { createBackend } = await import('../support/backends.ts');
    const backend = await createBackend('postgresql');
    dispose = () => backend.dispose();
    shape = await embeddedShape(backend.env.DATABASE_URL!);
  });
  after(async () => {
    await shape?.stop();
    await dispose?.();
  });

  it('loses, duplicates and reorders nothing that was acknowledged, and recovers', async () => {
    const load = await CheckedLoad.setUp({
      apiUrl: shape!.apiUrl,
      gatewayUrl: () => shape!.apiUrl,
      pairs: 5,
      rate: 25,
    });
    load.start();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const recovery = await load.fault('kill-platform', () => shape!.faults['kill-platform']!.inject());
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const report = await load.finish();
    expect(recovery.recoverS, shape!.diagnostics()).to.be.a('number');
    // Sends kept coming while the platform was down: some were written again on the new connection.
    expect(report.counts.reconnects).to.be.at.least(10);
    expect(report.counts).to.include({ lost: 0, duplicated: 0, outOfOrder: 0, syncGaps: 0, refused: 0 });
    expect(report.counts.acked).to.equal(report.counts.generated);
    expect(report.counts.delivered).to.equal(report.counts.acked);
  });
});
