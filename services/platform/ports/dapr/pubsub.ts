import type { DaprClient } from '@dapr/dapr';
import { currentTrace, inSpan, traceparentFor, tracingEnabled } from '../../../../common/trace-context.ts';
import { PublishError, type PublishOptions, type PubSubPort } from '../pubsub.ts';
import { sidecarFailure } from './client.ts';

/** Publishing through the sidecar, which wraps the data in a CloudEvent. */
export class DaprPubSubPort implements PubSubPort {
  private readonly client: DaprClient;

  constructor(client: DaprClient) {
    this.client = client;
  }

  publish<T>(pubsubName: string, topic: string, data: T, options: PublishOptions = {}): Promise<void> {
    const span = {
      kind: 'producer' as const,
      attributes: { 'messaging.system': 'dapr', 'messaging.destination.name': topic },
    };
    return inSpan(`${topic} publish`, span, () => this.#publish(pubsubName, topic, data, options));
  }

  async #publish<T>(pubsubName: string, topic: string, data: T, options: PublishOptions): Promise<void> {
    const metadata: Record<string, string> = {};
    if (options.type) metadata['cloudevent.type'] = options.type;
    // Published while handling something: the event goes on in that trace.
    const traceId = options.traceId ?? currentTrace()?.traceId;
    if (traceId) metadata['cloudevent.traceid'] = traceId;
    // With tracing on, the publish span is the delivery's parent (Dapr's CloudEvent override).
    if (tracingEnabled() && traceId && currentTrace()?.traceId === traceId)
      metadata['cloudevent.traceparent'] = traceparentFor(traceId);
    const result = await this.client.pubsub.publish(pubsubName, topic, data as object, {
      contentType: 'application/json',
      metadata,
    });
    if (result.error) {
      const failure = sidecarFailure(result.error);
      throw new PublishError(
        `publish to ${pubsubName}/${topic} failed: ${failure.status ?? ''} ${failure.body}`,
      );
    }
  }
}
