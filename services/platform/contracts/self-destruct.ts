import { z } from 'zod';

/**
 * A self-destructing message's timer, as every way of sending one names it: the HTTP route's body
 * (POST /api/v1/messages/self-destructing), SEND_MESSAGE's `data.selfDestruct` on the WebSocket,
 * and SendMessageRequest.self_destruct between the gateway and the message service. Defined once
 * so that the bounds cannot drift apart between them.
 */

/** Longest a timer runs: a week. */
export const SELF_DESTRUCT_MAX_TTL_SECONDS = 7 * 86_400;

/** The timer's fields, for bodies that carry them beside a message's (the HTTP route's). */
export const selfDestructFields = {
  ttlSeconds: z.number().int().min(0).max(SELF_DESTRUCT_MAX_TTL_SECONDS).meta({
    description:
      'Seconds the message lives once its timer starts (0 with startsOn read: as soon as it is read); at most a week.',
  }),
  startsOn: z.enum(['read', 'send']).default('read').meta({
    description:
      '`read`: when someone other than the sender has read it (burn after reading, the default); `send`: at once.',
  }),
};

/** A timer that starts at the send must run at least a second (else the message would never be seen). */
export const timerRule: [
  check: (timer: { ttlSeconds: number; startsOn: 'read' | 'send' }) => boolean,
  params: { message: string; path: string[] },
] = [
  (timer) => timer.startsOn === 'read' || timer.ttlSeconds > 0,
  { message: 'ttlSeconds must be at least 1 when the timer starts at the send', path: ['ttlSeconds'] },
];

/** The timer on its own (SEND_MESSAGE's `selfDestruct`, SendMessageRequest.self_destruct). */
export const SelfDestructTimer = z
  .object(selfDestructFields)
  .refine(...timerRule)
  .meta({
    description:
      'Makes it a self-destructing message: removed from every device (MESSAGE_DESTROYED) and the server once `ttlSeconds` have passed from its first reading by someone else, or from the send.',
  });
export type SelfDestructTimer = z.infer<typeof SelfDestructTimer>;
