import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import type { Logger } from '../logger.ts';
import type { CloudEvent, DeliveryResult, Subscription } from '../ports/index.ts';
import { decodedOrLogged } from './subscription.ts';
import type { Topic } from './topic.ts';

export interface EventBulkSubscriptionSpec<Desc extends DescMessage> {
  pubsubName: string;
  topic: Topic<Desc>;
  logger: Logger;
  /** Most events handed over at once, and how long the adapter waits to fill a batch. */
  maxMessages: number;
  maxAwaitMs: number;
  /**
   * Gets the batch's decoded messages (those that decode and keep the topic's rules) and answers
   * each, in order; a throw means RETRY for all of them.
   */
  handle(messages: MessageShape<Desc>[]): Promise<DeliveryResult[]>;
}

/**
 * A subscription that takes its topic's events in batches (bulk subscribe, platform/ports): the
 * handler gets the decoded messages of a batch together; an event that does not decode is dropped
 * with a log line, as for `eventSubscription`. A delivery of one is a batch of one.
 */
export function eventBulkSubscription<Desc extends DescMessage>(
  spec: EventBulkSubscriptionSpec<Desc>,
): Subscription {
  const handleBatch = async (events: CloudEvent[]): Promise<DeliveryResult[]> => {
    const messages = events.map((event) => decodedOrLogged(spec, event));
    const valid = messages.filter((message) => message !== undefined);
    const answers = valid.length > 0 ? await spec.handle(valid) : [];
    let next = 0;
    return messages.map((message) => (message === undefined ? 'DROP' : (answers[next++] ?? 'RETRY')));
  };
  return {
    pubsubName: spec.pubsubName,
    topic: spec.topic,
    async handle(event) {
      const [result] = await handleBatch([event]);
      return result!;
    },
    bulk: { maxMessages: spec.maxMessages, maxAwaitMs: spec.maxAwaitMs, handle: handleBatch },
  };
}
