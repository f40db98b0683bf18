/**
 * What every push provider (Web Push, FCM, APNs, a configured webhook) is to the push service:
 * it sends one message to one device and says how that went, in the same few outcomes, so that
 * retries, token hygiene and statistics are the same for all of them.
 */

export type PushPriority = 'high' | 'normal';

/** One push as the providers render it (already localized and filtered by the policies). */
export interface PushMessage {
  title: string;
  body: string;
  /** The app icon's number: the user's total unread. */
  badge: number;
  priority: PushPriority;
  /** Pushes with the same key replace each other on the device (one conversation's messages). */
  collapseKey: string;
  /** Seconds a provider keeps it for a device that is off. */
  ttlSeconds: number;
  /** No alert, no sound: a withdrawal that only replaces what was shown and sets the badge. */
  silent: boolean;
  /** What the app reads when the push is opened: kind, conversation, ids (strings only, as FCM wants). */
  data: Record<string, string>;
}

/** A device's registration, as the push service's copy of the registry holds it. */
export interface PushTarget {
  userId: string;
  deviceId: string;
  provider: string;
  platform: string;
  token: string;
  language: string;
}

export type SendOutcome =
  | { ok: true }
  | {
      ok: false;
      /**
       * `dead-token`: the provider says the device is gone (remove the registration);
       * `transient`: worth another try (network, 429, 5xx);
       * `rejected`: this push can never go as it is (bad request, auth, configuration).
       */
      reason: 'dead-token' | 'transient' | 'rejected';
      detail: string;
    };

export interface PushProvider {
  /** The name registrations use (`webpush`, `fcm`, `apns`, or a configured one). */
  readonly name: string;
  send(target: PushTarget, message: PushMessage): Promise<SendOutcome>;
  close?(): Promise<void>;
}

/** An HTTP status as a provider outcome, for providers whose documented answers follow HTTP. */
export function outcomeOfStatus(status: number, detail: string): SendOutcome {
  if (status >= 200 && status < 300) return { ok: true };
  if (status === 404 || status === 410) return { ok: false, reason: 'dead-token', detail };
  if (status === 408 || status === 429 || status >= 500) return { ok: false, reason: 'transient', detail };
  return { ok: false, reason: 'rejected', detail };
}

/** A provider's JSON answer, or undefined when it is not JSON (a proxy's error page). */
export function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** A failure before any answer (refused connection, reset, timeout): worth another try. */
export function networkFailure(error: unknown): SendOutcome {
  return { ok: false, reason: 'transient', detail: error instanceof Error ? error.message : String(error) };
}
