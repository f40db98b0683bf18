import { Counter, Gauge, Histogram } from 'prom-client';
import type { ServerFrame } from '../platform/contracts/index.ts';

/**
 * The gateway's figures: connections held, frames pushed to devices, the send → delivery latency,
 * resends and replays. Counters are shared by the hubs of a process (a test may run several);
 * labels are frame types and conversation kinds only.
 */

export const framesSent = new Counter({
  name: 'anychat_gateway_frames_sent_total',
  help: 'Frames written to devices, by frame type (NEW_MESSAGE counts messages delivered)',
  labelNames: ['type'] as const,
  registers: [],
});

/** framesSent's counter per frame type, looked up once: a push counts without hashing its labels. */
const framesSentByType = new Map<string, { inc(): void }>();

/** Counts one frame written to a device (runs for every frame to every device). */
export function countFrameSent(type: string) {
  let counter = framesSentByType.get(type);
  if (!counter) {
    counter = framesSent.labels({ type });
    framesSentByType.set(type, counter);
  }
  counter.inc();
}

export const deliveryLatency = new Histogram({
  name: 'anychat_message_delivery_latency_seconds',
  help: 'From a message being accepted by the message service to its live delivery reaching the recipient gateway, by conversation type (single | group)',
  labelNames: ['chat_type'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [],
});

export const redeliveries = new Counter({
  name: 'anychat_gateway_redeliveries_total',
  help: 'NEW_MESSAGE frames resent because the device did not acknowledge them in time',
  registers: [],
});

export const ackTimeouts = new Counter({
  name: 'anychat_gateway_ack_timeouts_total',
  help: 'NEW_MESSAGE frames still unacknowledged after their resend: left to the device sync',
  registers: [],
});

export const syncReplays = new Counter({
  name: 'anychat_gateway_sync_replays_total',
  help: 'Replays of a device timeline: on (re)connect with a syncSeq, or to fill a gap in the live stream',
  labelNames: ['reason'] as const,
  registers: [],
});

export const replayedFrames = new Counter({
  name: 'anychat_gateway_replayed_frames_total',
  help: 'Timeline entries a replay brought to devices',
  registers: [],
});

export const slowClientsDisconnected = new Counter({
  name: 'anychat_gateway_slow_clients_disconnected_total',
  help: 'Devices cut off because their send buffer grew past its bound',
  registers: [],
});

export const connectsRefused = new Counter({
  name: 'anychat_gateway_connects_refused_total',
  help: 'WebSocket connects refused, by reason (rate_limited | draining | unauthenticated | unavailable)',
  labelNames: ['reason'] as const,
  registers: [],
});

/** The send → delivery latency of a live NEW_MESSAGE (its timestamp is when the service accepted it). */
export function observeDelivery(frame: ServerFrame, now: number) {
  if (frame.type !== 'NEW_MESSAGE') return;
  const sessionType = (frame.data as { sessionType?: unknown } | undefined)?.sessionType;
  deliveryLatency.observe(
    { chat_type: sessionType === 'group' ? 'group' : 'single' },
    Math.max(0, now - (frame.timestamp ?? now)) / 1000,
  );
}

/** One hub's metrics: its connection count read at scrape time, and the shared counters. */
export function gatewayMetrics(hub: { connectionCount: number; userCount: number }) {
  const connections = new Gauge({
    name: 'anychat_gateway_connections',
    help: 'Open WebSocket connections (authenticated devices) held by this gateway instance',
    registers: [],
    collect() {
      this.set(hub.connectionCount);
    },
  });
  const users = new Gauge({
    name: 'anychat_gateway_connected_users',
    help: 'Distinct users with at least one device connected to this gateway instance',
    registers: [],
    collect() {
      this.set(hub.userCount);
    },
  });
  for (const reason of ['rate_limited', 'draining', 'unauthenticated', 'unavailable'])
    connectsRefused.inc({ reason }, 0);
  for (const reason of ['connect', 'gap']) syncReplays.inc({ reason }, 0);
  return [
    connections,
    users,
    framesSent,
    deliveryLatency,
    redeliveries,
    ackTimeouts,
    syncReplays,
    replayedFrames,
    slowClientsDisconnected,
    connectsRefused,
  ];
}
