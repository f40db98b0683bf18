/**
 * Tracing against a real trace backend: the embedded platform with OTEL_EXPORTER_OTLP_ENDPOINT set
 * exports OTLP to a real Jaeger v2 (test/support/jaeger.ts), and one message sent over WebSocket
 * from A to B is queried back from Jaeger's API as ONE trace: the gateway's frame, the Connect call
 * to the message service, the store and its SQL (the pg instrumentation), the publishes, and the
 * delivery into B's socket, each span's parent the one it was started under.
 */
import { expect } from 'chai';
import pg from 'pg';
import { tracingEnabled } from '../../common/trace-context.ts';
import { activeTracing } from '../../common/tracing.ts';
import { registerUser } from '../support/api-client.ts';
import { befriend } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import {
  type Jaeger,
  type JaegerSpan,
  type JaegerTrace,
  parentIdOf,
  startJaeger,
  tagOf,
} from '../support/jaeger.ts';
import { captureLogs } from '../support/log-capture.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { clientMsgId, WsClient } from '../support/ws-client.ts';

/** Whether the pg instrumentation has wrapped pg's query (shimmer marks what it wraps). */
const pgPatched = () => '__wrapped' in (pg.Client.prototype.query as object);

describe('tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT): nothing started', () => {
  it('starts no exporter, patches nothing, and the logs still carry trace ids', async () => {
    const logs = captureLogs('debug');
    const platform = await startPlatform(
      'pglite',
      { MESSAGE_ALLOW_STRANGERS: 'true' },
      { logger: logs.logger },
    );
    try {
      expect(tracingEnabled()).to.equal(false);
      expect(activeTracing()).to.equal(undefined);
      expect(pgPatched()).to.equal(false);
      const a = await registerUser(platform.api);
      const b = await registerUser(platform.api);
      const sender = await WsClient.connect(platform.host.url, a.accessToken);
      const msgId = clientMsgId();
      expect((await sender.sendMessage(b.userId, 'untraced', { msgId })).type).to.equal('SEND_ACK');
      await sender.close();
      const sent = await eventually('the gateway logs the message sent', () =>
        logs.records.find((record) => record.msg === 'message sent' && record.msgId === msgId),
      );
      expect(String(sent.traceId)).to.match(/^[0-9a-f]{32}$/);
    } finally {
      await platform.stop();
    }
  });
});

describe('tracing: one trace per message in a real Jaeger', function () {
  // The first run on a machine builds Jaeger from the Go module proxy (minutes).
  this.timeout(40 * 60_000);
  const logs = captureLogs('debug');
  let jaeger: Jaeger;
  let platform: TestPlatform;

  before(async () => {
    jaeger = await startJaeger();
    platform = await startPlatform(
      'pglite',
      { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpHttpUrl, MESSAGE_ALLOW_STRANGERS: 'true' },
      { logger: logs.logger },
    );
  });

  after(async () => {
    await platform?.stop();
    await jaeger?.stop();
    // Stopped, the process is as before: no span backend, pg's prototypes as they were.
    expect(tracingEnabled()).to.equal(false);
    expect(pgPatched()).to.equal(false);
  });

  it('is on: spans recorded, pg instrumented', () => {
    expect(tracingEnabled()).to.equal(true);
    expect(activeTracing()).to.not.equal(undefined);
    expect(pgPatched()).to.equal(true);
  });

  it("a message from A to B is one trace: frame, call, store, SQL, publish, delivery to B's socket", async () => {
    const a = await registerUser(platform.api);
    const b = await registerUser(platform.api);
    await befriend(platform.api, a, b);
    const receiver = await WsClient.connect(platform.host.url, b.accessToken);
    const sender = await WsClient.connect(platform.host.url, a.accessToken);
    let trace: JaegerTrace;
    // An event's span in a bulk batch (the conversation list's projection of message.created).
    const inBatch = (span: JaegerSpan) =>
      span.operationName === 'message.created process' &&
      tagOf(span, 'messaging.batch.message_count') !== undefined;
    try {
      const msgId = clientMsgId();
      expect((await sender.sendMessage(b.userId, 'traced', { msgId })).type).to.equal('SEND_ACK');
      await receiver.waitForMessages(1);
      // The log line names the trace the gateway gave the message.
      const sent = await eventually('the gateway logs the message sent', () =>
        logs.records.find((record) => record.msg === 'message sent' && record.msgId === msgId),
      );
      const traceId = String(sent.traceId);
      await activeTracing()!.flush();

      // Jaeger finds exactly one trace for the message, by the frame's msgId.
      const found = await eventually('jaeger has the message trace', async () => {
        const traces = await jaeger.traces('anychat', { 'anychat.msg_id': msgId });
        return traces.length > 0 ? traces : undefined;
      });
      expect(found.map((t) => t.traceID)).to.deep.equal([traceId]);

      trace = await eventually(
        "the trace's delivery to B's socket is in Jaeger",
        async () => {
          await activeTracing()!.flush();
          const got = await jaeger.trace(traceId);
          return got?.spans.some(
            (span) =>
              tagOf(span, 'anychat.user.id') === b.userId &&
              span.operationName === 'gateway push NEW_MESSAGE',
          ) && got.spans.some(inBatch)
            ? got
            : undefined;
        },
        30_000,
      );
    } finally {
      await sender.close();
      await receiver.close();
    }

    const spans = trace.spans;
    const describe = () =>
      spans.map((s) => `${s.spanID} <- ${parentIdOf(s) ?? '-'} ${s.operationName}`).join('\n');
    const byId = new Map(spans.map((span) => [span.spanID, span]));
    const one = (what: string, match: (span: JaegerSpan) => boolean) => {
      const span = spans.find(match);
      expect(span, `${what} in\n${describe()}`).to.not.equal(undefined);
      return span!;
    };
    const named = (name: string | RegExp) => (span: JaegerSpan) =>
      typeof name === 'string' ? span.operationName === name : name.test(span.operationName);
    const ancestors = (span: JaegerSpan): JaegerSpan[] => {
      const chain: JaegerSpan[] = [];
      for (let parent = byId.get(parentIdOf(span) ?? ''); parent; parent = byId.get(parentIdOf(parent) ?? ''))
        chain.push(parent);
      return chain;
    };

    // All of one trace, every parent inside it, one root: the gateway's frame.
    for (const span of spans) expect(span.traceID).to.equal(trace.traceID);
    for (const span of spans) {
      const parent = parentIdOf(span);
      if (parent)
        expect(byId.has(parent), `${span.operationName}'s parent ${parent}\n${describe()}`).to.equal(true);
    }
    const roots = spans.filter((span) => !parentIdOf(span));
    expect(roots.map((s) => s.operationName)).to.deep.equal(['gateway frame']);
    expect(trace.processes[roots[0]!.processID]!.serviceName).to.equal('anychat');

    const frame = roots[0]!;
    const send = one('the SEND_MESSAGE span', named('gateway SEND_MESSAGE'));
    expect(parentIdOf(send)).to.equal(frame.spanID);
    const client = one(
      'the call to the message service',
      (s) => named(/MessageService\//)(s) && tagOf(s, 'span.kind') === 'client',
    );
    expect(parentIdOf(client)).to.equal(send.spanID);
    const server = one(
      'the message service handling it',
      (s) => named(/MessageService\//)(s) && tagOf(s, 'span.kind') === 'server',
    );
    expect(parentIdOf(server)).to.equal(client.spanID);
    const store = one('the store', named('message store'));
    expect(ancestors(store)).to.include(server);
    // The pg instrumentation's queries of the store's transaction, under the store.
    const sql = spans.filter(
      (span) => tagOf(span, 'db.system') === 'postgresql' || tagOf(span, 'db.system.name') === 'postgresql',
    );
    expect(sql.length, describe()).to.be.greaterThan(0);
    expect(
      sql.some((span) => ancestors(span).includes(store)),
      describe(),
    ).to.equal(true);
    // The publish to B's gateway instance, its delivery, and the push into B's socket.
    const publish = one('the publish to the gateway', (s) => named(/^gateway\.deliver\..* publish$/)(s));
    expect(ancestors(publish)).to.include(server);
    expect(tagOf(publish, 'span.kind')).to.equal('producer');
    const deliveries = spans.filter((s) => named(/^gateway\.deliver\..* process$/)(s));
    expect(deliveries.map(parentIdOf)).to.include(publish.spanID);
    const push = one(
      "the push into B's socket",
      (s) => named('gateway push NEW_MESSAGE')(s) && tagOf(s, 'anychat.user.id') === b.userId,
    );
    expect(deliveries.map((d) => d.spanID)).to.include(parentIdOf(push));
    // The message.created event, published after the store, and the conversation list's bulk
    // batch that projected it: a span of the batch in this trace, under the publish.
    const created = one('the message.created publish', named('message.created publish'));
    expect(ancestors(created)).to.include(server);
    const projected = one("the conversation list's batch", inBatch);
    expect(parentIdOf(projected)).to.equal(created.spanID);
  });
});
