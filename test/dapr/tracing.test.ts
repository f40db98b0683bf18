/**
 * Tracing in the Dapr cluster shape against a real Jaeger v2: every app exports its spans
 * (OTEL_EXPORTER_OTLP_ENDPOINT) and every sidecar too (the Dapr Configuration's `tracing.otel`, as
 * the operator writes it for spec.observability.tracing). A message sent over WebSocket from A (on
 * gateway 1) to B (on gateway 2) is one trace in Jaeger holding the apps' spans and daprd's own,
 * from the sender's sidecar and the message service's, joined by W3C traceparent, and the
 * conversation-list projection's handling of its message.created (a bulk batch: its span in the
 * message's trace, linked to the batch).
 */
import { expect } from 'chai';
import { registerUser } from '../support/api-client.ts';
import { befriend } from '../support/chat.ts';
import { DaprCluster } from '../support/dapr-cluster.ts';
import { eventually } from '../support/eventually.ts';
import { type Jaeger, type JaegerTrace, startJaeger, tagOf } from '../support/jaeger.ts';
import { clientMsgId, WsClient } from '../support/ws-client.ts';

describe('tracing in the Dapr cluster shape: one trace across apps and sidecars', function () {
  this.timeout(40 * 60_000);
  let jaeger: Jaeger;
  let cluster: DaprCluster;

  before(async () => {
    jaeger = await startJaeger();
    cluster = await DaprCluster.start({
      broker: 'redis',
      gateways: 2,
      tracingEndpoint: jaeger.otlpHttpUrl,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpHttpUrl, MESSAGE_ALLOW_STRANGERS: 'true' },
    });
  });

  after(async () => {
    await cluster?.stop();
    await jaeger?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.error(cluster.diagnostics());
  });

  it("a message from A to B: the gateways', the message service's and both sidecars' spans in one trace", async () => {
    const a = await registerUser(cluster.api);
    const b = await registerUser(cluster.api);
    await befriend(cluster.api, a, b);
    const receiver = await WsClient.connect(cluster.member('gateway-2').url, b.accessToken);
    const sender = await WsClient.connect(cluster.member('gateway-1').url, a.accessToken);
    const msgId = clientMsgId();
    try {
      expect((await sender.sendMessage(b.userId, 'traced through Dapr', { msgId })).type).to.equal(
        'SEND_ACK',
      );
      await receiver.waitForMessages(1);
    } finally {
      await sender.close();
      await receiver.close();
    }
    const services = (trace: JaegerTrace) =>
      new Set(Object.values(trace.processes).map((p) => p.serviceName));
    // The apps export in batches (a second apart): wait until the trace holds B's push and daprd's spans.
    const trace = await eventually(
      "the message's trace in Jaeger, with its delivery and the sidecars' spans",
      async () => {
        const [found, ...others] = await jaeger.traces('anychat-gateway', { 'anychat.msg_id': msgId });
        if (!found) return undefined;
        expect(others.map((t) => t.traceID)).to.deep.equal([]);
        const whole = await jaeger.trace(found.traceID);
        if (!whole) return undefined;
        // Each app exports on its own schedule: every part must have arrived.
        const operations = new Set(whole.spans.map((span) => span.operationName));
        const pushed = whole.spans.some(
          (span) =>
            span.operationName === 'gateway push NEW_MESSAGE' && tagOf(span, 'anychat.user.id') === b.userId,
        );
        const projected = whole.spans.some(
          (span) =>
            span.operationName === 'message.created process' &&
            whole.processes[span.processID]!.serviceName === 'anychat-session',
        );
        const complete =
          pushed &&
          projected &&
          ['gateway frame', 'message store'].every((name) => operations.has(name)) &&
          [...operations].some((name) => /^gateway\.deliver\..* publish$/.test(name)) &&
          ['gateway', 'message', 'anychat-message'].every((name) => services(whole).has(name));
        return complete ? whole : undefined;
      },
      60_000,
      () => cluster.diagnostics(),
    );
    const names = services(trace);
    // The apps' own spans (service.name anychat-<app-id>) and daprd's (service.name the app-id).
    expect([...names]).to.include.members(['anychat-gateway', 'anychat-message', 'gateway', 'message']);
    const of = (service: string) =>
      trace.spans.filter((span) => trace.processes[span.processID]!.serviceName === service);
    expect(of('anychat-gateway').map((s) => s.operationName)).to.include.members([
      'gateway frame',
      'gateway SEND_MESSAGE',
      'gateway push NEW_MESSAGE',
    ]);
    expect(of('anychat-message').map((s) => s.operationName)).to.include('message store');
    // The conversation-list projection (the session app, bulk delivery of message.created): a span
    // in this trace, under the sidecar's delivery, linked to the batch (a trace of its own).
    const [projection] = of('anychat-session').filter((s) => s.operationName === 'message.created process');
    expect(projection, "the projection's span").to.not.equal(undefined);
    const parent = projection!.references?.find((r) => r.refType === 'CHILD_OF');
    expect(parent?.traceID).to.equal(trace.traceID);
    const batchLink = projection!.references?.find((r) => r.refType === 'FOLLOWS_FROM');
    expect(batchLink, 'linked to its batch').to.not.equal(undefined);
    expect(batchLink!.traceID).to.not.equal(trace.traceID);
    // The pg instrumentation's queries (its semantic conventions name the system either way).
    expect(of('anychat-message').some((s) => /^pg\.query/.test(s.operationName))).to.equal(true);
    expect(
      of('anychat-message').some((s) => /^gateway\.deliver\..* publish$/.test(s.operationName)),
    ).to.equal(true);
    // Both sidecars of the invocation: the sender gateway's and the message service's.
    expect(of('gateway').length).to.be.greaterThan(0);
    expect(of('message').length).to.be.greaterThan(0);
    for (const span of trace.spans) expect(span.traceID).to.equal(trace.traceID);
  });
});
