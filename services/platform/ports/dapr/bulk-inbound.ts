import type { Logger } from '../../logger.ts';
import { type DeliveryAttempts, droppedEvents } from '../delivery-metrics.ts';
import {
  type BulkDelivery,
  type CloudEvent,
  type DeliveryResult,
  runBulkHandler,
  type Subscription,
} from '../pubsub.ts';

/** One entry of a Dapr bulk delivery; `event` is the CloudEvent the publisher's sidecar made. */
interface BulkEntry {
  entryId: string;
  event: unknown;
  contentType?: string;
}

/** What the sidecar POSTs to a bulk subscription's route (Dapr's bulk subscribe). */
export function isBulkMessage(body: unknown): body is { entries: BulkEntry[] } {
  return typeof body === 'object' && body !== null && Array.isArray((body as { entries?: unknown }).entries);
}

const isCloudEvent = (value: unknown): value is CloudEvent =>
  typeof value === 'object' && value !== null && 'data' in value && 'id' in value;

/**
 * Hands a bulk delivery's CloudEvents to the subscription's bulk handler and answers one status per
 * entry. An entry that is no CloudEvent (or has no id to answer by) is dropped and counted; an
 * entry that has failed `maxDeliveryAttempts` times is dropped as poison, as single deliveries are.
 */
export async function deliverBulk(
  subscription: Subscription,
  bulk: BulkDelivery,
  entries: BulkEntry[],
  attempts: DeliveryAttempts,
  logger: Logger,
): Promise<Array<{ entryId: string; status: DeliveryResult }>> {
  const { topic } = subscription;
  const statuses: Array<{ entryId: string; status: DeliveryResult }> = [];
  const handed: Array<{ entryId: string; event: CloudEvent }> = [];
  for (const entry of entries) {
    if (typeof entry?.entryId !== 'string') continue;
    if (isCloudEvent(entry.event)) handed.push({ entryId: entry.entryId, event: entry.event });
    else {
      logger.warn({ topic, entryId: entry.entryId }, 'bulk entry without a CloudEvent dropped');
      droppedEvents.inc({ topic, reason: 'rejected' });
      statuses.push({ entryId: entry.entryId, status: 'DROP' });
    }
  }
  if (handed.length === 0) return statuses;
  const results = await runBulkHandler(
    bulk,
    handed.map(({ event }) => event),
    (error) =>
      logger.warn(
        { err: error, topic, size: handed.length },
        'bulk subscriber threw; asking the sidecar to retry',
      ),
    logger,
  );
  handed.forEach(({ entryId, event }, index) => {
    statuses.push({ entryId, status: answerFor(results[index]!, topic, event, attempts, logger) });
  });
  return statuses;
}

/**
 * What the sidecar is told for a handler's answer: RETRY turns into DROP (logged, counted as
 * poison) once the event has used up its attempts; a DROP is counted as rejected.
 */
export function answerFor(
  status: DeliveryResult,
  topic: string,
  event: CloudEvent,
  attempts: DeliveryAttempts,
  logger: Logger,
): DeliveryResult {
  const eventKey = `${topic}/${String(event.id)}`;
  if (status === 'RETRY') {
    if (!attempts.failed(eventKey)) return 'RETRY';
    logger.error(
      { topic, eventId: event.id, attempts: attempts.maxAttempts },
      'event dropped after its delivery attempts ran out (poison event)',
    );
    droppedEvents.inc({ topic, reason: 'retries_exhausted' });
    return 'DROP';
  }
  attempts.settled(eventKey);
  if (status === 'DROP') droppedEvents.inc({ topic, reason: 'rejected' });
  return status;
}
