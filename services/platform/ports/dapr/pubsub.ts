import type { DaprClient } from '@dapr/dapr';
import { PublishError, type PublishOptions, type PubSubPort } from '../pubsub.ts';
import { sidecarFailure } from './client.ts';

/** Publishing through the sidecar, which wraps the data in a CloudEvent. */
export class DaprPubSubPort implements PubSubPort {
  private readonly client: DaprClient;

  constructor(client: DaprClient) {
    this.client = client;
  }

  async publish<T>(pubsubName: string, topic: string, data: T, options: PublishOptions = {}): Promise<void> {
    const metadata: Record<string, string> = {};
    if (options.type) metadata['cloudevent.type'] = options.type;
    if (options.traceId) metadata['cloudevent.traceid'] = options.traceId;
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
