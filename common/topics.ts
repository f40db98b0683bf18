import type { ServiceName } from './services.ts';

/**
 * Who subscribes to which pub/sub topic, app by app: the wiring deployments derive from it (one
 * durable Dapr pub/sub component per topic, scoped to these app-ids; the JetStream stream's
 * subjects). The topics themselves, with their messages, are the services' contracts
 * (services/platform/contracts/events.ts); a unit test keeps the two lists equal, and a Dapr-mode
 * host refuses to start with a subscription that is not listed here.
 */
export const TOPIC_SUBSCRIBERS: Readonly<Record<string, readonly string[]>> = {
  'auth.user.registered': ['user'],
  'auth.session.revoked': ['gateway'],
  'auth.password.changed': [],
  'auth.account.status-changed': ['user', 'friend', 'group', 'file', 'message'],
  'user.profile.updated': ['friend', 'message'],
  'user.settings.updated': ['push'],
  'user.push-token.changed': ['push'],
  'group.changed': ['message'],
  'message.created': ['session', 'push', 'message'],
  'message.read': ['session', 'push'],
  'message.recalled': ['session'],
  'message.cleared': ['session'],
  'message.edited': ['session'],
  'message.reacted': ['push'],
  'message.system.requested': ['message'],
  'timeline.append': ['message', 'push'],
  'auth.login.recorded': ['admin'],
  'gateway.device.left': ['push'],
} satisfies Record<string, readonly ServiceName[]>;

/** Subjects (NATS) or stream prefixes every AnyChat topic falls under, per-instance gateway topics included. */
export function topicFamilies(topics: Iterable<string> = Object.keys(TOPIC_SUBSCRIBERS)): string[] {
  const families = new Set(['gateway']);
  for (const topic of topics) families.add(topic.split('.')[0]!);
  return [...families].sort();
}

/**
 * The Dapr component an app-scoped topic is read through: `<pubsub>-<topic with dots as dashes>`.
 * Dapr's JetStream component keeps one durable consumer per component, so a durable, competing
 * consumer per (app, topic) needs one component per topic (dapr/components-contrib#2385).
 */
export function topicComponent(pubsubName: string, topic: string): string {
  return `${pubsubName}-${topic.replaceAll('.', '-')}`;
}
