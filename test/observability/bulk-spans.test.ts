/**
 * A bulk batch of events (the conversation list's projection of message.created) with tracing on:
 * the batch is a span of its own, linked to each event's trace, and each event's trace holds a
 * `<topic> process` span for its part of the batch, child of the event's traceparent and linked
 * back to the batch. OpenTelemetry's SDK with an in-memory exporter, the project's span backend.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { expect } from 'chai';
import { otelBackend } from '../../common/otel-backend.ts';
import { newSpanId, newTraceId, useSpanBackend } from '../../common/trace-context.ts';
import { type BulkDelivery, type CloudEvent, runBulkHandler } from '../../services/platform/ports/pubsub.ts';

describe('tracing: a bulk batch’s span in each of its events’ traces', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });

  before(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    useSpanBackend(otelBackend(provider.getTracer('test')));
  });

  after(async () => {
    useSpanBackend(undefined);
    await provider.shutdown();
    propagation.disable();
    context.disable();
  });

  const bulk = (handle: BulkDelivery<{ id: string }>['handle']): BulkDelivery<{ id: string }> => ({
    maxMessages: 100,
    maxAwaitMs: 10,
    handle,
  });
  const event = (traceparent: string, id: string): CloudEvent<{ id: string }> =>
    ({
      id,
      topic: 'message.created',
      traceid: traceparent,
      traceparent,
      data: { id },
    }) as CloudEvent<{ id: string }>;

  it('puts a process span under each event’s traceparent, linked to the batch, and the handler’s work in the batch', async () => {
    exporter.reset();
    const parents = [0, 1].map(() => ({ traceId: newTraceId(), spanId: newSpanId() }));
    const events = parents.map((p, i) => event(`00-${p.traceId}-${p.spanId}-01`, `e${i}`));
    let handlerTrace: string | undefined;
    const results = await runBulkHandler(
      bulk(async (batch) => {
        // The handler's own work (its queries) is the batch's.
        handlerTrace = trace.getActiveSpan()?.spanContext().traceId;
        return batch.map(() => 'SUCCESS' as const);
      }),
      events,
      () => {},
    );
    expect(results).to.deep.equal(['SUCCESS', 'SUCCESS']);

    const spans = exporter.getFinishedSpans();
    const batch = spans.find((s) => s.name === 'message.created process batch')!;
    expect(batch, spans.map((s) => s.name).join(', ')).to.not.equal(undefined);
    expect(handlerTrace).to.equal(batch.spanContext().traceId);
    expect(batch.links.map((l) => l.context.traceId).sort()).to.deep.equal(
      parents.map((p) => p.traceId).sort(),
    );

    const perEvent = spans.filter((s) => s.name === 'message.created process');
    expect(perEvent).to.have.length(2);
    for (const parent of parents) {
      const span = perEvent.find((s) => s.spanContext().traceId === parent.traceId)!;
      expect(span, `a span in trace ${parent.traceId}`).to.not.equal(undefined);
      expect(span.parentSpanContext?.spanId).to.equal(parent.spanId);
      expect(span.links.map((l) => l.context.spanId)).to.deep.equal([batch.spanContext().spanId]);
      expect(span.attributes['messaging.batch.message_count']).to.equal(2);
    }
  });

  it('still puts the event’s span in its trace when the batch’s work throws (every entry retried)', async () => {
    exporter.reset();
    const parent = { traceId: newTraceId(), spanId: newSpanId() };
    const results = await runBulkHandler(
      bulk(async () => {
        throw new Error('database gone');
      }),
      [event(`00-${parent.traceId}-${parent.spanId}-01`, 'e')],
      () => {},
    );
    // A throw is a RETRY of every entry (the handler's answer, not the span's failure).
    expect(results).to.deep.equal(['RETRY']);
    const [span] = exporter.getFinishedSpans().filter((s) => s.name === 'message.created process');
    expect(span!.spanContext().traceId).to.equal(parent.traceId);
  });
});
