import type { DescMessage } from '@bufbuild/protobuf';
import type { PublishOptions, PubSubPort } from '../ports/index.ts';
import { type EventInit, encodeEvent, type Topic } from './topic.ts';

/** Publishes typed events: each topic takes only its own message, encoded as proto3 JSON. */
export class EventPublisher {
  readonly #pubsub: PubSubPort;
  readonly #pubsubName: string;

  constructor(pubsub: PubSubPort, pubsubName: string) {
    this.#pubsub = pubsub;
    this.#pubsubName = pubsubName;
  }

  publish<Desc extends DescMessage>(
    topic: Topic<Desc>,
    payload: EventInit<Desc>,
    options?: PublishOptions,
  ): Promise<void> {
    return this.#pubsub.publish(this.#pubsubName, topic, encodeEvent(topic, payload), options);
  }
}
