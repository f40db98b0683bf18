/**
 * Log lines carry the trace: what the gateway, the message service and the receiving gateway log
 * while one message goes through them shares one traceId (each with its own spanId), so that one
 * message's path can be followed through the logs. On the embedded platform, logs captured at debug.
 */
import { expect } from 'chai';
import { WebSocket } from 'ws';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriend, textBody } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { captureLogs, type LogRecord } from '../support/log-capture.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { clientMsgId, WsClient } from '../support/ws-client.ts';

const W3C_TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

describe('log lines carry the trace and span ids', function () {
  this.timeout(60_000);
  const logs = captureLogs('debug');
  let platform: TestPlatform;

  before(async function () {
    await requirePostgres(this);
    platform = await startPlatform('postgresql', {}, { logger: logs.logger });
  });

  after(async () => {
    await platform?.stop();
  });

  const inTrace = (traceId: string) => logs.records.filter((record) => record.traceId === traceId);
  const describeLines = (records: LogRecord[]) =>
    records.map((r) => `${String(r.service ?? '-')} ${r.msg} ${String(r.call ?? r.topic ?? '')}`);

  it("a SEND_MESSAGE's lines in the gateway, the message service and the receiving gateway share one traceId", async () => {
    const a = await registerUser(platform.api);
    const b = await registerUser(platform.api);
    await befriend(platform.api, a, b);
    const receiver = await WsClient.connect(platform.host.url, b.accessToken);
    const sender = await WsClient.connect(platform.host.url, a.accessToken);
    try {
      const msgId = clientMsgId();
      const ack = await sender.sendMessage(b.userId, 'traced', { msgId });
      expect(ack.type).to.equal('SEND_ACK');
      await receiver.waitForMessages(1);

      // The gateway names the message beside its trace id.
      const sent = await eventually('the gateway logs the message sent', () =>
        logs.records.find((record) => record.msg === 'message sent' && record.msgId === msgId),
      );
      expect(sent.service).to.equal('gateway');
      const traceId = String(sent.traceId);
      expect(traceId).to.match(W3C_TRACE_ID);
      expect(String(sent.spanId)).to.match(SPAN_ID);

      // The message service's handling of the call, and the delivery to the receiving socket's gateway.
      const lines = await eventually('the delivery logged in the same trace', () => {
        const found = inTrace(traceId);
        return found.some((r) => r.msg === 'event handled' && String(r.topic).startsWith('gateway'))
          ? found
          : undefined;
      });
      const call = lines.find((r) => r.msg === 'call handled' && String(r.call).includes('MessageService/'));
      expect(call, describeLines(lines).join('\n')).to.not.equal(undefined);
      const delivery = lines.find((r) => r.msg === 'event handled' && String(r.topic).startsWith('gateway'))!;
      // Each hop is a span of its own within the one trace.
      const spans = new Set([sent.spanId, call!.spanId, delivery.spanId]);
      expect(spans.size).to.equal(3);
      // The conversation-list projection takes message.created in batches from many traces: its
      // line names the trace ids of the events it handled.
      const batch = await eventually('the projection names the trace', () =>
        logs.records.find(
          (r) => r.msg === 'events handled' && (r.traceIds as string[] | undefined)?.includes(traceId),
        ),
      );
      expect(batch.topic).to.equal('message.created');
      expect(batch.traceId).to.not.equal(traceId);
      // Nothing of another message's trace: the lines of this trace are about this message only.
      expect(lines.filter((r) => r.msg === 'message sent').map((r) => r.msgId)).to.deep.equal([msgId]);
    } finally {
      await sender.close();
      await receiver.close();
    }
  });

  it("opening a WebSocket is a trace, the upgrade's traceparent's when it has one: its replay call carries it", async () => {
    const a = await registerUser(platform.api);
    const traceId = 'c3'.repeat(16);
    const url = new URL('/ws', platform.host.url.replace(/^http/, 'ws'));
    url.searchParams.set('token', a.accessToken);
    url.searchParams.set('syncSeq', '0');
    const ws = new WebSocket(url, { headers: { traceparent: `00-${traceId}-${'d4'.repeat(8)}-01` } });
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('message', () => resolve());
        ws.once('error', reject);
      });
      const lines = await eventually('a call in the connect trace', () => {
        const found = inTrace(traceId);
        return found.some((r) => r.msg === 'call handled') ? found : undefined;
      });
      expect(lines.every((r) => r.spanId !== 'd4'.repeat(8))).to.equal(true);
    } finally {
      ws.close();
    }
  });

  it("an HTTP request's lines, its access log and what it calls and publishes, carry the traceparent's trace id", async () => {
    const a = await registerUser(platform.api);
    const b = await registerUser(platform.api);
    await befriend(platform.api, a, b);
    const receiver = await WsClient.connect(platform.host.url, b.accessToken);
    try {
      const traceId = 'a1'.repeat(16);
      const caller = 'b2'.repeat(8);
      const response = await platform.api.call('POST', '/api/v1/messages', {
        token: a.accessToken,
        body: textBody(b.userId, 'traced over http'),
        headers: { traceparent: `00-${traceId}-${caller}-01` },
      });
      expect(response.status).to.equal(200);
      expect(response.headers.get('x-trace-id')).to.equal(traceId);
      await receiver.waitForMessages(1);
      const lines = await eventually('the delivery logged in the same trace', () => {
        const found = inTrace(traceId);
        return found.some((r) => r.msg === 'event handled' && String(r.topic).startsWith('gateway'))
          ? found
          : undefined;
      });
      const access = lines.find((r) => r.msg === 'request' && r.path === '/api/v1/messages');
      expect(access, describeLines(lines).join('\n')).to.include({ method: 'POST', status: 200 });
      expect(String(access!.spanId)).to.match(SPAN_ID).and.not.equal(caller);
    } finally {
      await receiver.close();
    }
  });
});
