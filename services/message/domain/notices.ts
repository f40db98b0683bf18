import { createHash } from 'node:crypto';
import type { TimelineAppendRequested } from '../../platform/contracts/gen/anychat/message/v1/events_pb.ts';
import { SYSTEM_MESSAGE_TEXT_MAX, SYSTEM_SENDER } from '../../platform/contracts/index.ts';
import type { MessageService } from './message-service.ts';

type Payload = Record<string, unknown>;

const text = (value: unknown) => (typeof value === 'string' ? value : '');
const nameIn = (profile: unknown) => text((profile as { nickname?: unknown } | null | undefined)?.nickname);

/**
 * The platform's notices that also land in the recipient's system conversation, and the plain line
 * each shows (clients that know the kind render their own from `data`, as for group notices).
 * Other timeline notifications (friend and session changes, typing of settings) stay NOTIFICATION
 * frames only: they change state a client shows elsewhere.
 */
const NOTICES: Record<string, (payload: Payload) => string> = {
  'auth.unusual_login': (p) => {
    const device = p.deviceName ? `${text(p.deviceName)} (${text(p.deviceType)})` : text(p.deviceType);
    return `New sign-in on ${device}${p.ip ? ` from ${text(p.ip)}` : ''}. Not you? Sign that device out.`;
  },
  'group.invited': (p) => {
    const group = text((p.group as { name?: unknown } | undefined)?.name) || text(p.groupId);
    return `${nameIn(p.inviter) || text(p.inviterId)} invited you to join ${group}`;
  },
  'admin.announcement': (p) => text(p.text),
  'admin.maintenance': (p) => text(p.text),
};

/** Recipients stored at once: their sends are group committed together. */
const AT_ONCE = 50;
/** The longest clientMsgId the message store keeps. */
const CLIENT_MSG_ID_MAX = 64;

const clip = (line: string) => {
  const chars = Array.from(line);
  return chars.length <= SYSTEM_MESSAGE_TEXT_MAX
    ? line
    : `${chars.slice(0, SYSTEM_MESSAGE_TEXT_MAX - 1).join('')}…`;
};

/**
 * Per-user system conversations (`n_<user id>`, session type `system`): each notice above is also a
 * message from SYSTEM_SENDER there, so it is listed with an unread count, synced to every device
 * like any message (NEW_MESSAGE, offline pull), read and cleared as any conversation is; nobody can
 * send to it (50140). Once per (event, recipient): a redelivered notification posts nothing new.
 */
export class SystemNotices {
  readonly #messages: MessageService;

  constructor(messages: MessageService) {
    this.#messages = messages;
  }

  async post(notification: TimelineAppendRequested): Promise<void> {
    const lineOf = NOTICES[notification.kind];
    if (!lineOf) return;
    const payload = (notification.payload ?? {}) as Payload;
    const line = clip(lineOf(payload) || notification.kind);
    const recipients = [...new Set(notification.recipients)];
    for (let start = 0; start < recipients.length; start += AT_ONCE)
      await Promise.all(
        recipients.slice(start, start + AT_ONCE).map((userId) =>
          this.#messages.shared.store({
            senderId: SYSTEM_SENDER,
            deviceId: undefined,
            clientMsgId: clientMsgIdOf(notification.eventId, userId),
            sessionType: 'system',
            targetId: userId,
            contentType: 'system',
            content: { kind: notification.kind, text: line, data: payload },
            searchText: '',
            preview: line,
          }),
        ),
      );
  }
}

/** Unique per (event, recipient), within the store's length (a long event id is hashed). */
function clientMsgIdOf(eventId: string, userId: string): string {
  const id = `${eventId}:${userId}`;
  return id.length <= CLIENT_MSG_ID_MAX ? id : createHash('sha256').update(id).digest('hex');
}
