import {
  AdminTopics,
  AuthTopics,
  GroupTopics,
  MessageTopics,
  SystemMessageTopic,
  TimelineTopics,
  UserTopics,
} from './events.ts';

/**
 * Who subscribes to which topic, app by app. Deployments derive their broker wiring from it (one
 * durable Dapr pub/sub component per topic, scoped to these app-ids; the JetStream stream's
 * subjects), and a Dapr-mode host refuses to start with a subscription that is not listed here,
 * so the table cannot drift from the code.
 */
export const TOPIC_SUBSCRIBERS: Readonly<Record<string, readonly string[]>> = {
  [AuthTopics.userRegistered]: ['user'],
  [AuthTopics.sessionRevoked]: ['gateway'],
  [AuthTopics.passwordChanged]: [],
  [AuthTopics.accountStatusChanged]: ['user'],
  [UserTopics.profileUpdated]: ['friend', 'message'],
  [UserTopics.settingsUpdated]: [],
  [GroupTopics.changed]: ['message'],
  [MessageTopics.created]: ['session'],
  [MessageTopics.read]: ['session'],
  [MessageTopics.recalled]: ['session'],
  [MessageTopics.cleared]: ['session'],
  [SystemMessageTopic]: ['message'],
  [TimelineTopics.append]: ['message'],
  [AdminTopics.loginRecorded]: ['admin'],
};

/** Subjects (NATS) or stream prefixes every AnyChat topic falls under, per-instance gateway topics included. */
export function topicFamilies(topics: Iterable<string> = Object.keys(TOPIC_SUBSCRIBERS)): string[] {
  const families = new Set(['gateway']);
  for (const topic of topics) families.add(topic.split('.')[0]!);
  return [...families].sort();
}
