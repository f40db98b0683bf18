import { eventTopic, type Topic } from '../events/index.ts';
import { EventRules } from './event-rules.ts';
import {
  AccountStatusChangedSchema,
  LoginRecordedSchema,
  PasswordChangedSchema,
  SessionRevokedSchema,
  UserRegisteredSchema,
} from './gen/anychat/auth/v1/events_pb.ts';
import { DeviceLeftSchema, GatewayDeliverySchema } from './gen/anychat/gateway/v1/events_pb.ts';
import { GroupChangedSchema } from './gen/anychat/group/v1/events_pb.ts';
import {
  MessageClearedSchema,
  MessageCreatedSchema,
  MessageEditedSchema,
  MessageReactedSchema,
  MessageReadSchema,
  MessageRecalledSchema,
  SystemMessageRequestedSchema,
  TimelineAppendRequestedSchema,
} from './gen/anychat/message/v1/events_pb.ts';
import {
  ProfileUpdatedSchema,
  PushTokenChangedSchema,
  SettingsUpdatedSchema,
} from './gen/anychat/user/v1/events_pb.ts';

/**
 * Every pub/sub topic, named once with its proto message (proto/anychat/<service>/v1/events.proto)
 * and its rules (event-rules.ts). Publishers and subscribers go through platform/events, which
 * take a topic's own message only; TOPIC_SUBSCRIBERS (common/topics.ts) says who reads which.
 */

/** Events of the auth service. */
export const AuthTopics = {
  userRegistered: eventTopic('auth.user.registered', UserRegisteredSchema, EventRules.userRegistered),
  /** A device session ended (logout, replaced by a newer login, password change, kicked, admin action): gateways disconnect it. */
  sessionRevoked: eventTopic('auth.session.revoked', SessionRevokedSchema, EventRules.sessionRevoked),
  passwordChanged: eventTopic('auth.password.changed', PasswordChangedSchema),
  accountStatusChanged: eventTopic(
    'auth.account.status-changed',
    AccountStatusChangedSchema,
    EventRules.accountStatusChanged,
  ),
};

/** What auth publishes for the admin service. */
export const AdminTopics = {
  /** Every chat-user login attempt the auth service decided (audit log). */
  loginRecorded: eventTopic('auth.login.recorded', LoginRecordedSchema, EventRules.loginRecorded),
};

/** Events of the user service. */
export const UserTopics = {
  profileUpdated: eventTopic('user.profile.updated', ProfileUpdatedSchema, EventRules.profileUpdated),
  settingsUpdated: eventTopic('user.settings.updated', SettingsUpdatedSchema),
  /** A device's push registration was saved or removed: the push service's copy follows. */
  pushTokenChanged: eventTopic(
    'user.push-token.changed',
    PushTokenChangedSchema,
    EventRules.pushTokenChanged,
  ),
};

/** Events of the group service. */
export const GroupTopics = {
  /** Something about a group changed (members, roles, mutes, settings, dismissal): drop caches. */
  changed: eventTopic('group.changed', GroupChangedSchema, EventRules.groupChanged),
};

/** Events of the message service. */
export const MessageTopics = {
  created: eventTopic('message.created', MessageCreatedSchema, EventRules.messageCreated),
  /** A user read a conversation up to a seq. */
  read: eventTopic('message.read', MessageReadSchema, EventRules.messageRead),
  recalled: eventTopic('message.recalled', MessageRecalledSchema, EventRules.messageRecalled),
  /** A user cleared a conversation for themselves up to a seq. */
  cleared: eventTopic('message.cleared', MessageClearedSchema, EventRules.messageCleared),
  /** A sender edited a message's text (conversation-list previews follow). */
  edited: eventTopic('message.edited', MessageEditedSchema, EventRules.messageEdited),
  /** A user put an emoji on a message (its author may get a push). */
  reacted: eventTopic('message.reacted', MessageReactedSchema, EventRules.messageReacted),
};

/** System messages (group events) the group service asks the message service to post. */
export const SystemMessageTopic = eventTopic(
  'message.system.requested',
  SystemMessageRequestedSchema,
  EventRules.systemMessageRequested,
);

/**
 * Every event that concerns a user (messages, recalls, receipts, friend, group and session changes)
 * gets a place in that user's sync timeline: a gap-free `syncSeq` per user. The message service
 * owns the timeline (DESIGN §6 allocates syncSeq in the transaction that stores a message), so the
 * other services hand their notifications to it through this topic.
 */
export const TimelineTopics = {
  /** Append a notification to each recipient's timeline and push it to their online devices. */
  append: eventTopic('timeline.append', TimelineAppendRequestedSchema, EventRules.timelineAppendRequested),
};

/** Events of the gateway. */
export const GatewayTopics = {
  /**
   * A device's socket dropped and the device did not come back within the offline grace (published
   * for every such departure): the push service pushes it what reached its user after the position
   * it acknowledged.
   */
  deviceLeft: eventTopic('gateway.device.left', DeviceLeftSchema, EventRules.deviceLeft),
};

/** The topic of one gateway instance: frames for the devices connected to it. */
export const gatewayDeliveryTopic = (instanceId: string): Topic<typeof GatewayDeliverySchema> =>
  eventTopic(`gateway.deliver.${instanceId}`, GatewayDeliverySchema);
