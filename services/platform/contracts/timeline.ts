import { plainJson } from '../events/index.ts';
import { outboxEvent, type PendingEvent } from '../outbox.ts';
import { TimelineTopics } from './events.ts';

/** The device that made a change: it already knows, so it learns of it through sync only. */
export interface Origin {
  userId: string;
  deviceId: string;
}

/**
 * The outbox event that appends a notification to each recipient's timeline (a recipient named
 * twice gets it once); `origin`, when given, is the device that made the change.
 */
export function timelineAppend(options: {
  eventId: string;
  kind: string;
  recipients: string[];
  payload: Record<string, unknown>;
  origin?: Origin | undefined;
}): PendingEvent {
  const { origin } = options;
  return outboxEvent(TimelineTopics.append, {
    eventId: options.eventId,
    recipients: [...new Set(options.recipients)],
    kind: options.kind,
    payload: plainJson(options.payload),
    ...(origin ? { originDevice: { userId: origin.userId, deviceId: origin.deviceId } } : {}),
  });
}

/** `NOTIFICATION` frame data, live and on replay. */
export interface NotificationData {
  syncSeq: number;
  kind: string;
  payload: Record<string, unknown>;
  timestamp: number;
  /** The device that made the change, when one did: it can tell its own changes apart. */
  originDeviceId?: string;
}
