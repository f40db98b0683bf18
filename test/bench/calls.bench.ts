/**
 * Call setup latency: `node test/bench/calls.bench.ts [calls]` (default 20). Starts a real
 * livekit-server (test/support/livekit.ts) and the embedded platform on the machine's PostgreSQL,
 * two friends each with a connected WebSocket device, then places `calls` one-to-one calls one
 * after another and reports, at p50/p95/max:
 * - invite → ringing: from sending POST /calls/invite to the callee's socket receiving the
 *   `call.invited` NOTIFICATION (the outbox, the timeline append and the gateway's delivery);
 * - accept → both in the room: from sending PUT /calls/{id}/accept (the caller already in the
 *   room, as a dialling client is) to the callee's @livekit/rtc-node participant being connected
 *   and both identities listed by LiveKit's own RoomServiceClient.listParticipants.
 * Each call is hung up before the next. Results go to BENCHMARKS.md by hand, with the machine.
 */
import { performance } from 'node:perf_hooks';
import { dispose } from '@livekit/rtc-node';
import { Participant, startRtcWorld } from '../rtc/support.ts';
import { registerUser } from '../support/api-client.ts';
import { befriend } from '../support/chat.ts';
import { WsClient } from '../support/ws-client.ts';

const CALLS = Number(process.argv[2] ?? 20);

const world = await startRtcWorld('postgresql', { LOG_LEVEL: 'warn', RTC_RING_TIMEOUT_SECONDS: '60' });
const { api, host } = world.platform;
const percentile = (values: number[], p: number) =>
  [...values].sort((x, y) => x - y)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))]!;
try {
  const a = await registerUser(api);
  const b = await registerUser(api);
  await befriend(api, a, b);
  const wsB = await WsClient.connect(host.url, b.accessToken);
  const ringing: number[] = [];
  const inRoom: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const mark = wsB.frames.length;
    const started = performance.now();
    const ticket = await api.ok<{ callId: string; roomName: string; url: string; token: string }>(
      'POST',
      '/api/v1/calls/invite',
      { token: a.accessToken, body: { userId: b.userId, callType: 'audio' } },
    );
    await wsB.next(
      (f) =>
        f.type === 'NOTIFICATION' &&
        f.data?.kind === 'call.invited' &&
        f.data.payload.callId === ticket.callId,
      10_000,
      mark,
    );
    ringing.push(performance.now() - started);
    const caller = await Participant.join(ticket.url, ticket.token);
    const accepting = performance.now();
    const answer = await api.ok<{ url: string; token: string }>(
      'PUT',
      `/api/v1/calls/${ticket.callId}/accept`,
      {
        token: b.accessToken,
      },
    );
    const callee = await Participant.join(answer.url, answer.token);
    for (;;) {
      const present = await world.rooms.listParticipants(ticket.roomName);
      if (present.length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    inRoom.push(performance.now() - accepting);
    await api.ok('PUT', `/api/v1/calls/${ticket.callId}/hangup`, { token: a.accessToken });
    await caller.leave();
    await callee.leave();
  }
  const line = (name: string, values: number[]) =>
    `${name}: p50 ${percentile(values, 50).toFixed(1)} ms, p95 ${percentile(values, 95).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms`;
  console.log(`${CALLS} calls`);
  console.log(line('invite → ringing on the callee socket', ringing));
  console.log(line('accept → both in the room', inRoom));
  await wsB.close();
} finally {
  await world.stop();
  await dispose();
}
