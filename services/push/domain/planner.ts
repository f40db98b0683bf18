import type {
  MessageCreated,
  MessageReacted,
  MessageRead,
  TimelineAppendRequested,
} from '../../platform/contracts/gen/anychat/message/v1/events_pb.ts';
import type { PresenceRegistry } from '../../platform/presence/index.ts';
import type { Directory } from '../clients/directory.ts';
import type { PushMessage, PushPriority, PushTarget } from '../providers/provider.ts';
import { type PushContent, render } from './content.ts';
import type { ConversationState } from './conversation-state.ts';
import type { Dispatcher, JobResult, PushJob } from './dispatcher.ts';
import { inDoNotDisturb, type Preferences, type PushPreferences } from './preferences.ts';
import type { Registrations } from './registrations.ts';

export interface PlannerDeps {
  registrations: Registrations;
  preferences: Preferences;
  conversations: ConversationState;
  presence: PresenceRegistry;
  directory: Directory;
  dispatcher: Dispatcher;
  ttlSeconds: number;
  now?: () => Date;
}

/** What one user gets, before it is rendered for each of their devices. */
interface Draft {
  type: string;
  content: PushContent;
  priority: PushPriority;
  collapseKey: string;
  badge: number;
  data: Record<string, string>;
}

/** Kinds of timeline notifications that deserve a push, and what they say. */
const NOTIFICATION_KINDS: Record<
  string,
  (payload: Record<string, unknown>) => Omit<Draft, 'badge'> | undefined
> = {
  'friend.request.received': (payload) => {
    const from = String(payload.fromUserId ?? '');
    return {
      type: 'friend_request',
      content: { kind: 'friend_request', fromName: nameIn(payload.fromUser) ?? from },
      // Seed §4.13: friend requests are high priority.
      priority: 'high',
      collapseKey: `friend-request:${from}`,
      data: { type: 'friend_request', requestId: String(payload.requestId ?? ''), fromUserId: from },
    };
  },
  // The rtc service's invitation: highest priority, one push per call, never collapsed with
  // messages; do-not-disturb hours hold it back like the rest.
  'call.invited': (payload) => {
    // An invitation that reaches the push service after its ring ended (a late redelivery) rings nothing.
    const expiresAt = typeof payload.expiresAt === 'string' ? Date.parse(payload.expiresAt) : Number.NaN;
    if (expiresAt <= Date.now()) return undefined;
    const callId = String(payload.callId ?? '');
    const caller = payload.caller as { userId?: unknown } | undefined;
    const callerId = String(caller?.userId ?? '');
    return {
      type: 'call',
      content: { kind: 'call', callerName: nameIn(caller) ?? callerId, video: payload.callType === 'video' },
      priority: 'high',
      collapseKey: `call:${callId}`,
      data: { type: 'call', callId, callerId },
    };
  },
  'group.invited': (payload) => {
    const groupId = String(payload.groupId ?? '');
    const group = payload.group as { name?: unknown } | undefined;
    return {
      type: 'group_invitation',
      content: {
        kind: 'group_invitation',
        inviterName: nameIn(payload.inviter) ?? String(payload.inviterId ?? ''),
        groupName: typeof group?.name === 'string' ? group.name : groupId,
      },
      priority: 'normal',
      collapseKey: `group-invitation:${groupId}`,
      data: { type: 'group_invitation', groupId },
    };
  },
};

function nameIn(profile: unknown): string | undefined {
  const nickname = (profile as { nickname?: unknown } | null | undefined)?.nickname;
  return typeof nickname === 'string' && nickname !== '' ? nickname : undefined;
}

/**
 * The push policies (seed §4.8): who gets a push for an event, on which devices, saying what.
 * Devices connected over WebSocket get none (the presence registry decides); a user who turned
 * notifications off or is in do-not-disturb hours gets none; a muted conversation pushes only
 * @mentions, and only if the user wants those; a message already read on another device is not
 * pushed, and reading withdraws what was pushed; one conversation's pushes collapse into one
 * with a count; the badge is the user's total unread.
 */
export class PushPlanner {
  readonly #d: PlannerDeps;

  constructor(deps: PlannerDeps) {
    this.#d = deps;
  }

  /**
   * A batch of new messages (a bulk delivery): the registered devices and the presence of every
   * recipient of every message are read once for the batch, then each message is planned
   * (`#planMessage`) under its own event id (`eventIdOf`); a delivery of one is a batch of one.
   * Each message gets its own outcome: a failure planning one leaves the others' as they are (a
   * failure of the shared lookups throws, for the whole batch). Messages of one conversation are planned one after the
   * other, in the batch's order (their collapsed counts build on each other).
   */
  async messagesCreated(
    messages: MessageCreated[],
    eventIdOf: (message: MessageCreated) => string,
  ): Promise<PromiseSettledResult<void>[]> {
    const recipients = new Set(messages.filter(pushable).flatMap(recipientsOf));
    const targets = await this.#offlineDevices([...recipients]);
    const byUser = new Map<string, PushTarget[]>();
    for (const target of targets) {
      const devices = byUser.get(target.userId);
      if (devices) devices.push(target);
      else byUser.set(target.userId, [target]);
    }
    const outcomes: PromiseSettledResult<void>[] = messages.map(() => ({
      status: 'fulfilled',
      value: undefined,
    }));
    const conversations = new Map<string, number[]>();
    messages.forEach((message, index) => {
      if (!pushable(message)) return;
      const indexes = conversations.get(message.sessionId);
      if (indexes) indexes.push(index);
      else conversations.set(message.sessionId, [index]);
    });
    await mapLimited([...conversations.values()], MESSAGES_AT_ONCE, async (indexes) => {
      for (const index of indexes) {
        const message = messages[index]!;
        const mine = [...new Set(recipientsOf(message))].flatMap((userId) => byUser.get(userId) ?? []);
        try {
          await this.#planMessage(message, eventIdOf(message), mine);
        } catch (reason) {
          outcomes[index] = { status: 'rejected', reason };
        }
      }
    });
    return outcomes;
  }

  /**
   * A device left for good after its socket dropped (the gateway's `gateway.device.left`): while
   * it stayed in the presence registry (its offline grace, or a dead socket nobody had noticed
   * yet) the messages after the position it acknowledged were planned without it. `missed` reads
   * those, once the device is known to be registered and still offline; each is planned for this
   * device alone, as `#planMessage` plans any (preferences, do-not-disturb, mutes, already read,
   * collapse, badge) and under the same event id (`eventIdOf`), so that the pending-push claim
   * never pushes one message twice to a device. Oldest first, one after the other: a
   * conversation's pushes collapse into one with its count. Returns how many were planned.
   */
  async deviceLeft(
    userId: string,
    deviceId: string,
    missed: () => Promise<MessageCreated[]>,
    eventIdOf: (message: MessageCreated) => string,
  ): Promise<number> {
    const targets = (await this.#offlineDevices([userId])).filter((target) => target.deviceId === deviceId);
    if (targets.length === 0) return 0;
    const messages = (await missed()).filter(
      (message) => pushable(message) && recipientsOf(message).includes(userId),
    );
    for (const message of messages) await this.#planMessage(message, eventIdOf(message), targets);
    return messages.length;
  }

  /** One new message's pushes, once its recipients' offline devices (`targets`) are known. */
  async #planMessage(message: MessageCreated, eventId: string, targets: PushTarget[]): Promise<void> {
    const mentioned = new Set(message.mentionAll ? recipientsOf(message) : message.mentions);
    const seq = Number(message.seq);
    const names = lazy(async () => ({
      sender: await this.#d.directory.nickname(message.senderId),
      group: message.sessionType === 'group' ? await this.#d.directory.groupName(message.targetId) : '',
    }));
    await this.#deliverTo(eventId, targets, async (users) => {
      const readers = await this.#d.conversations.readers([...users.keys()], message.sessionId, seq);
      const candidates = [...users].filter(([userId]) => !readers.has(userId));
      const views = new Map(
        await mapLimited(candidates, LOOKUPS_AT_ONCE, async ([userId]) => {
          const view = await this.#d.directory.messageView(userId, message.sessionId, seq);
          return [userId, view] as const;
        }),
      );
      const wanted = candidates
        .filter(([userId, preferences]) => {
          const mutedOut =
            views.get(userId)!.muted && !(mentioned.has(userId) && preferences.pushMentionsWhenMuted);
          return !mutedOut;
        })
        .map(([userId]) => userId);
      if (wanted.length === 0) return new Map();
      const counts = await this.#d.conversations.countPushed(wanted, message.sessionId, seq);
      const { sender, group } = await names();
      const drafts = new Map<string, Draft>();
      for (const userId of wanted) {
        const mention = mentioned.has(userId);
        drafts.set(userId, {
          type: mention ? 'mention' : 'message',
          content: {
            kind: 'message',
            sessionType: message.sessionType === 'group' ? 'group' : 'single',
            senderName: sender,
            groupName: group,
            preview: message.preview,
            mention,
            count: counts.get(userId) ?? 1,
          },
          priority: mention ? 'high' : 'normal',
          collapseKey: message.sessionId,
          badge: views.get(userId)!.badge,
          data: {
            type: 'message',
            sessionId: message.sessionId,
            messageId: message.messageId,
            seq: String(seq),
          },
        });
      }
      return drafts;
    });
  }

  /**
   * The user read a conversation (on some device): what was pushed of it is withdrawn from their
   * other devices by a silent push that replaces it (same collapse key, Web Push Topic, APNs
   * collapse id) and carries the new badge.
   */
  async messageRead(read: MessageRead, eventId: string): Promise<void> {
    const hadPushed = await this.#d.conversations.read(read.userId, read.sessionId, Number(read.readSeq));
    if (!hadPushed) return;
    const targets = await this.#offlineDevices([read.userId]);
    if (targets.length === 0) return;
    const badge = await this.#d.directory.unreadTotal(read.userId);
    await this.#d.dispatcher.enqueue(
      targets.map((target) => ({
        eventId,
        type: 'withdraw',
        target,
        message: {
          title: '',
          body: '',
          badge,
          priority: 'normal',
          collapseKey: read.sessionId,
          ttlSeconds: this.#d.ttlSeconds,
          silent: true,
          data: { type: 'read', sessionId: read.sessionId, readSeq: String(read.readSeq) },
        },
      })),
    );
  }

  /** Friend requests, group invitations and call invitations (notifications of the timeline). */
  async notification(notice: TimelineAppendRequested): Promise<void> {
    const draftOf = NOTIFICATION_KINDS[notice.kind];
    if (!draftOf) return;
    const draft = draftOf((notice.payload ?? {}) as Record<string, unknown>);
    if (!draft) return;
    await this.#sameForAll(notice.eventId, notice.recipients, draft);
  }

  /**
   * Someone put an emoji on the user's message: the author's offline devices hear of it, unless
   * they muted the conversation (a muted conversation is quiet about reactions as about messages).
   * Do-not-disturb, notifications off and the preview setting apply as to messages.
   */
  async reacted(reaction: MessageReacted): Promise<void> {
    const { authorId, sessionId, messageId, userId, emoji } = reaction;
    if (userId === authorId) return;
    const plan = async (): Promise<Map<string, Draft>> => {
      const view = await this.#d.directory.messageView(authorId, sessionId, Number(reaction.seq));
      if (view.muted) return new Map();
      const reactorName = await this.#d.directory.nickname(userId);
      return new Map([
        [
          authorId,
          {
            type: 'reaction',
            content: { kind: 'reaction', reactorName, emoji, preview: reaction.preview },
            priority: 'normal',
            collapseKey: `reaction:${messageId}`,
            badge: view.badge,
            data: { type: 'reaction', sessionId, messageId, userId, emoji },
          },
        ],
      ]);
    };
    // One push per person and emoji on a message: taking it back and putting it again is no news.
    await this.#deliver(`reaction:${messageId}:${userId}:${emoji}`, [authorId], plan);
  }

  /** One push for every recipient, each with their own badge. */
  async #sameForAll(eventId: string, recipients: string[], draft: Omit<Draft, 'badge'>): Promise<void> {
    await this.#deliver(eventId, recipients, async (users) => {
      const userIds = [...users.keys()];
      const badges = await mapLimited(userIds, LOOKUPS_AT_ONCE, (userId) =>
        this.#d.directory.unreadTotal(userId),
      );
      return new Map(userIds.map((userId, i) => [userId, { ...draft, badge: badges[i]! }]));
    });
  }

  /** A test push to every registered device of the user, connected or not, past every policy. */
  async test(userId: string, eventId: string): Promise<Array<{ target: PushTarget; result: JobResult }>> {
    const targets = await this.#d.registrations.of([userId]);
    const preferences = (await this.#d.preferences.of([userId])).get(userId)!;
    return Promise.all(
      targets.map(async (target) => ({
        target,
        result: await this.#d.dispatcher.sendNow({
          eventId,
          type: 'test',
          target,
          message: this.#message(
            {
              type: 'test',
              content: { kind: 'test' },
              priority: 'high',
              collapseKey: 'test',
              badge: 0,
              data: { type: 'test' },
            },
            target,
            preferences,
          ),
        }),
      })),
    );
  }

  /**
   * The common path: the recipients' devices that are registered and not connected, of users who
   * want pushes now; `plan` decides what each such user gets (and may leave users out).
   */
  async #deliver(
    eventId: string,
    recipients: string[],
    plan: (users: Map<string, PushPreferences>) => Promise<Map<string, Draft>>,
  ): Promise<void> {
    await this.#deliverTo(eventId, await this.#offlineDevices(recipients), plan);
  }

  /** `#deliver` once the recipients' offline devices are known. */
  async #deliverTo(
    eventId: string,
    targets: PushTarget[],
    plan: (users: Map<string, PushPreferences>) => Promise<Map<string, Draft>>,
  ): Promise<void> {
    if (targets.length === 0) return;
    const now = this.#d.now?.() ?? new Date();
    const preferences = await this.#d.preferences.of([...new Set(targets.map((t) => t.userId))]);
    const willing = new Map(
      [...preferences].filter(([, p]) => p.notificationEnabled && !inDoNotDisturb(p, now)),
    );
    if (willing.size === 0) return;
    const drafts = await plan(willing);
    const jobs: PushJob[] = [];
    for (const target of targets) {
      const draft = drafts.get(target.userId);
      if (!draft) continue;
      jobs.push({
        eventId,
        type: draft.type,
        target,
        message: this.#message(draft, target, willing.get(target.userId)!),
      });
    }
    await this.#d.dispatcher.enqueue(jobs);
  }

  #message(draft: Draft, target: PushTarget, preferences: PushPreferences): PushMessage {
    const { title, body } = render(
      draft.content,
      target.language || preferences.language,
      preferences.pushPreview,
    );
    return {
      title,
      body,
      badge: draft.badge,
      priority: draft.priority,
      collapseKey: draft.collapseKey,
      ttlSeconds: this.#d.ttlSeconds,
      silent: false,
      data: draft.data,
    };
  }

  /** The registered devices of these users that are not connected now. */
  async #offlineDevices(userIds: string[]): Promise<PushTarget[]> {
    const registered = await this.#d.registrations.of(userIds);
    if (registered.length === 0) return [];
    const presence = await this.#d.presence.lookup([...new Set(registered.map((t) => t.userId))]);
    return registered.filter((target) => {
      const user = presence.get(target.userId);
      if (!user?.online) return true;
      for (const devices of user.instances.values()) if (devices.includes(target.deviceId)) return false;
      return true;
    });
  }
}

/** Messages of a batch planned at once (each conversation's one after the other). */
const MESSAGES_AT_ONCE = 8;

/** Whether a new message may be pushed at all: the system's own messages never are. */
function pushable(message: MessageCreated): boolean {
  return message.contentType !== 'system' && message.senderId !== '0';
}

/** Who a new message is for: its participants but the sender. */
function recipientsOf(message: MessageCreated): string[] {
  return message.participants.filter((userId) => userId !== message.senderId);
}

/** Calls to other services one event makes at once (a big group's members are asked a few at a time). */
const LOOKUPS_AT_ONCE = 16;

/** `work` for each item, at most `limit` at a time; results in the items' order. */
async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Computes once, on first use. */
function lazy<T>(compute: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= compute();
    return value;
  };
}
