import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import type { Logger } from '../logger.ts';
import type { CloudEvent, DeliveryResult, Subscription } from '../ports/index.ts';
import { decodeEvent, type Topic } from './topic.ts';

export interface EventSubscriptionSpec<Desc extends DescMessage> {
  pubsubName: string;
  topic: Topic<Desc>;
  /** `instance`: a topic only this process reads (see Subscription.scope). */
  scope?: 'app' | 'instance';
  logger: Logger;
  /**
   * Gets the decoded message, checked against the topic's rules. Returns 'RETRY' or 'DROP' to say
   * so; whatever else it returns counts as SUCCESS; a throw means RETRY, as for every handler.
   */
  handle(message: MessageShape<Desc>, event: CloudEvent): Promise<unknown>;
}

/**
 * A subscription that hands its handler the topic's generated message. An event that does not
 * decode, or breaks the topic's rules, is dropped with a log line (redelivering it cannot help);
 * the adapters count every DROP in `anychat_pubsub_events_dropped_total{reason="rejected"}`.
 */
export function eventSubscription<Desc extends DescMessage>(spec: EventSubscriptionSpec<Desc>): Subscription {
  return {
    pubsubName: spec.pubsubName,
    topic: spec.topic,
    ...(spec.scope ? { scope: spec.scope } : {}),
    async handle(event: CloudEvent): Promise<DeliveryResult> {
      const message = decodedOrLogged(spec, event);
      if (!message) return 'DROP';
      const result = await spec.handle(message, event);
      return result === 'RETRY' || result === 'DROP' ? result : 'SUCCESS';
    },
  };
}

/** The event's message, or undefined (logged) when it does not decode or breaks the topic's rules. */
export function decodedOrLogged<Desc extends DescMessage>(
  spec: Pick<EventSubscriptionSpec<Desc>, 'topic' | 'logger'>,
  event: CloudEvent,
): MessageShape<Desc> | undefined {
  const decoded = decodeEvent(spec.topic, event.data);
  if (decoded.ok) return decoded.message;
  spec.logger.warn(
    { topic: spec.topic, eventId: event.id, problem: decoded.problem, issues: decoded.issues },
    'malformed event dropped',
  );
  return undefined;
}
