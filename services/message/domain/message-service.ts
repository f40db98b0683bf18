import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { inSpan } from '../../../common/trace-context.ts';
import type {
  SystemMessageRequested,
  TimelineAppendRequested,
} from '../../platform/contracts/gen/anychat/message/v1/events_pb.ts';
import {
  type Delivery,
  type GroupRole,
  groupSessionId,
  MENTION_ALL,
  type MessageStats,
  MessageTopics,
  peerOf,
  previewOf,
  type SessionType,
  SYSTEM_SENDER,
  singleSessionId,
  singleSessionUsers,
  systemSessionId,
} from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import type { SensitiveWords } from '../../platform/moderation/index.ts';
import { type Outbox, outboxEvent, type StoredEvent } from '../../platform/outbox.ts';
import type { DeliveryRouter } from '../../platform/presence/index.ts';
import type { FileSharing } from '../clients/files.ts';
import type { FriendClient } from '../clients/friends.ts';
import type { GroupDirectory } from '../clients/groups.ts';
import type { ProfileCache } from '../clients/profiles.ts';
import { messagesStored } from '../metrics.ts';
import { type ContentValidator, fileContent, fileReferenceOf, searchTextOf } from './content.ts';
import { entryFrame, eventFrame, type MessageView, messageView, newMessageFrame } from './frames.ts';
import { GroupCommit } from './group-commit.ts';
import type { MessageStatus, SendAck, TimelinePage } from './message-types.ts';
import { type ReadFanoutGroups, readFanoutDeliveries } from './read-fanout.ts';
import type { MessageSearch, SearchQuery } from './search.ts';
import { messageStats } from './stats.ts';
import type {
  MessageStore,
  NewMessage,
  SentRecord,
  StoredMessage,
  StoredSend,
  TimelineEvent,
} from './store.ts';

export type { MessageStatus, SendAck, TimelineItem, TimelinePage } from './message-types.ts';

export interface SendInput {
  senderId: string;
  /**
   * The device that sent over WebSocket: it has SEND_ACK, so it gets no NEW_MESSAGE (its gateway
   * counts the syncSeq as delivered). Unset for REST sends: every device of the sender gets it.
   */
  deviceId: string | undefined;
  clientMsgId: string;
  sessionType: SessionType;
  targetId: string;
  contentType: string;
  content: unknown;
  /** Group messages: members mentioned. */
  mentions?: string[] | undefined;
  /** Group messages: @all (owner and admins only). */
  mentionAll?: boolean | undefined;
}

/** Sender id of system messages (snowflake ids are never 0). */

export interface StoreInput extends Omit<SendInput, 'content'> {
  content: unknown;
  searchText: string;
  preview: string;
  traceId?: string | undefined;
  /** System messages name their recipients; user messages get the group's members. */
  recipients?: string[];
}

export type Access =
  | { kind: 'single'; peer: string; participants: string[]; role: GroupRole; visibleFrom: undefined }
  | {
      kind: 'group';
      groupId: string;
      participants: string[];
      role: GroupRole;
      visibleFrom: Date | undefined;
    }
  /** The user's own system conversation: notices to them alone. */
  | { kind: 'system'; participants: string[]; role: GroupRole; visibleFrom: undefined };

interface Audience {
  sessionId: string;
  participants: string[];
  mentions: string[];
  mentionAll: boolean;
}

export interface MessageServiceOptions {
  store: MessageStore;
  content: ContentValidator;
  /** Uploaded files put into media messages (the file service). */
  files: FileSharing;
  profiles: ProfileCache;
  groups: GroupDirectory;
  router: DeliveryRouter;
  friends: FriendClient;
  outbox: Outbox;
  ids: SnowflakeGenerator;
  logger: Logger;
  recallWindowMs: number;
  allowStrangers: boolean;
  /** The administrator's forbidden words: text is masked or refused (50105) as the policy says. */
  words: SensitiveWords;
  /** Group commit of sends: most messages stored in one transaction, and how long the first waits for more. */
  sendBatch: { maxBatch: number; maxWaitMicros: number };
  /** Which groups' messages are stored once and read by the group's seq (read-fanout.ts). */
  readFanout: ReadFanoutGroups;
  /** Keyword search through the trigram index (search.ts). */
  search: MessageSearch;
  /** Whether each user shows (and sees) read receipts: their privacy setting, from the user service. */
  readReceipts: (userIds: string[]) => Promise<Map<string, boolean>>;
}

/**
 * Messages of one-to-one conversations: send (idempotent, numbered, stored, then routed), the
 * per-user timeline that sync replays, receipts, recall, delete and clear for oneself, history and
 * search. Everything that concerns a user goes into their timeline before it is pushed, so a push
 * that never arrives only delays.
 */
export class MessageService {
  readonly #o: MessageServiceOptions;

  /** Concurrent sends are stored together, each answered with its own result once it is durable. */
  readonly #sends: GroupCommit<
    { message: NewMessage; created: StoredEvent },
    StoredSend | { duplicate: SentRecord }
  >;

  /** Delivered receipts, group committed as sends are (gateways flush many users' at once). */
  readonly #receipts: GroupCommit<Array<{ userId: string; messageIds: string[] }>, undefined>;

  constructor(options: MessageServiceOptions) {
    this.#o = options;
    this.#receipts = new GroupCommit({
      write: async (flushes) => {
        await options.store.markDelivered(flushes.flat());
        return flushes.map(() => undefined);
      },
      ...options.sendBatch,
    });
    this.#sends = new GroupCommit({
      write: (sends) => options.store.insertMessages(sends),
      ...options.sendBatch,
      onBatchFailed: (error, size) =>
        options.logger.warn({ err: error, size }, 'a batch of sends failed; storing each alone'),
    });
  }

  async send(input: SendInput, traceId?: string): Promise<SendAck> {
    if (input.sessionType === 'system') throw new AppError(ErrorCode.MESSAGE_SYSTEM_READ_ONLY);
    let content: unknown;
    try {
      content = await this.#moderate(
        input.contentType,
        this.#o.content.parse(input.contentType, input.content),
      );
    } catch (refusal) {
      // A retry of a message stored before the word list changed still gets its first answer.
      const previous = await this.#o.store.findSent(input.senderId, input.clientMsgId);
      if (previous && refusal instanceof AppError && refusal.code === ErrorCode.MESSAGE_SENSITIVE)
        return this.#ack(previous);
      throw refusal;
    }
    const fileId = fileReferenceOf(input.contentType, content);
    if (fileId) {
      // The file service checks the sender may share the file, and lets this conversation read it.
      const file = await this.#o.files.share(fileId, input.senderId, input.sessionType, input.targetId);
      content = fileContent(input.contentType, file);
    }
    const stored = await this.#store({
      ...input,
      content,
      searchText: searchTextOf(input.contentType, content),
      preview: previewOf(input.contentType, content),
      traceId,
    });
    return this.#ack(stored);
  }

  /** Text (and a quote's text) against the administrator's forbidden words: masked, or refused with 50105. */
  async #moderate(contentType: string, content: unknown): Promise<unknown> {
    const text =
      contentType === 'text'
        ? (content as string)
        : contentType === 'quote'
          ? (content as { text: string }).text
          : undefined;
    if (text === undefined) return content;
    const check = await this.#o.words.check(text);
    if (!check.matched) return content;
    if (check.action === 'reject') throw new AppError(ErrorCode.MESSAGE_SENSITIVE);
    return contentType === 'text' ? check.masked : { ...(content as object), text: check.masked };
  }

  /** A group event as a system message in the group conversation (sender "0"); once per eventId. */
  async postSystemMessage(request: SystemMessageRequested): Promise<SentRecord> {
    return this.#store({
      senderId: SYSTEM_SENDER,
      deviceId: undefined,
      clientMsgId: request.eventId,
      sessionType: 'group',
      targetId: request.groupId,
      contentType: 'system',
      content: { kind: request.kind, text: request.text, data: request.data ?? {} },
      searchText: '',
      preview: request.text,
      recipients: request.recipients,
    });
  }

  /** Decides who gets the message (or refuses it), stores it once, pushes it, reports it. */
  async #store(input: StoreInput): Promise<SentRecord> {
    const { store } = this.#o;
    let audience: Audience;
    try {
      audience = await this.#audience(input);
    } catch (refusal) {
      // A retry of a message stored before the relation or membership changed still gets its first answer.
      const previous = await store.findSent(input.senderId, input.clientMsgId);
      if (previous) return previous;
      throw refusal;
    }
    const { sessionId, participants, mentions, mentionAll } = audience;
    const createdAt = new Date();
    const messageId = this.#o.ids.next();
    const createdEvent = (seq: number) =>
      outboxEvent(MessageTopics.created, {
        messageId,
        sessionId,
        sessionType: input.sessionType,
        senderId: input.senderId,
        targetId: input.targetId,
        participants,
        seq: BigInt(seq),
        contentType: input.contentType,
        preview: input.preview,
        mentions,
        mentionAll,
        createdAt: timestampFromDate(createdAt),
      });
    // The store writes the seq it allocates into the stored row.
    const [created] = this.#o.outbox.prepare([createdEvent(0)]);
    const message = {
      messageId,
      sessionId,
      sessionType: input.sessionType,
      senderId: input.senderId,
      targetId: input.targetId,
      clientMsgId: input.clientMsgId,
      contentType: input.contentType,
      content: input.content,
      mentions: mentionAll ? [...mentions, MENTION_ALL] : mentions,
      createdAt,
    };
    const { readFanout } = this.#o;
    const planned = input.sessionType === 'group' ? readFanout.plan(sessionId, participants) : undefined;
    // The store (its transaction's queries: a batch's, when sends are committed together) is a
    // span of the message's trace when tracing is on.
    const storeSpan = {
      attributes: { 'anychat.message.id': messageId, 'anychat.session.type': input.sessionType },
    };
    const stored = await inSpan('message store', storeSpan, () =>
      this.#sends.submit({
        message: { ...message, searchText: input.searchText, participants, readFanout: planned },
        created: created!,
      }),
    ).catch((error: unknown) => {
      readFanout.forget(sessionId);
      throw error;
    });
    // A concurrent send with the same clientMsgId won; answer with its result.
    if ('duplicate' in stored) return stored.duplicate;
    messagesStored.inc({ chat_type: input.sessionType, content_type: input.contentType });
    if (input.sessionType === 'group')
      readFanout.stored(sessionId, participants, stored.readFanout !== undefined, planned);

    const [sender] = (await this.#profiles([input.senderId])).values();
    const view = messageView({ ...message, seq: stored.seq, recalled: false }, sender);
    if (stored.readFanout)
      await this.#deliver(readFanoutDeliveries(view, participants, input.deviceId), input.traceId);
    else
      await this.#deliver(
        participants.map((userId) => ({
          userId,
          syncSeq: stored.syncSeqs.get(userId)!,
          frame: newMessageFrame(view, stored.syncSeqs.get(userId)!),
          ...(userId === input.senderId && input.deviceId ? { excludeDeviceId: input.deviceId } : {}),
        })),
        input.traceId,
      );
    await this.#o.outbox.publish([{ ...createdEvent(stored.seq), id: created!.id }]);
    return stored;
  }

  async #audience(input: StoreInput): Promise<Audience> {
    if (input.sessionType === 'system')
      return {
        sessionId: systemSessionId(input.targetId),
        participants: [input.targetId],
        mentions: [],
        mentionAll: false,
      };
    if (input.sessionType === 'single') {
      if (input.targetId === input.senderId)
        throw new AppError(ErrorCode.INVALID_PARAMS, { detail: 'targetId: you cannot message yourself' });
      await this.#checkMayMessage(input.senderId, input.targetId);
      return {
        sessionId: singleSessionId(input.senderId, input.targetId),
        participants: [input.senderId, input.targetId],
        mentions: [],
        mentionAll: false,
      };
    }
    const sessionId = groupSessionId(input.targetId);
    if (input.recipients)
      return { sessionId, participants: input.recipients, mentions: [], mentionAll: false };
    const group = await this.#o.groups.member(input.targetId, input.senderId);
    if (group.dismissed) throw new AppError(ErrorCode.GROUP_DISMISSED);
    const privileged = group.member.role !== 'member';
    const mutedUntil = group.member.mutedUntil ? Date.parse(group.member.mutedUntil) : 0;
    if (mutedUntil > Date.now() || (group.allMuted && !privileged)) throw new AppError(ErrorCode.GROUP_MUTED);
    const mentionAll = input.mentionAll === true;
    if (mentionAll && !privileged)
      throw new AppError(ErrorCode.GROUP_NOT_ADMIN, { detail: '@all is for the owner and admins' });
    const members = new Set(group.memberIds);
    members.add(input.senderId);
    const mentions = [...new Set(input.mentions ?? [])].filter(
      (id) => members.has(id) && id !== input.senderId,
    );
    return { sessionId, participants: [...members], mentions, mentionAll };
  }

  /** Profiles of senders; the system sender has none. */
  #profiles(userIds: string[]) {
    return this.#o.profiles.get(userIds.filter((id) => id !== SYSTEM_SENDER));
  }

  async #checkMayMessage(senderId: string, targetId: string) {
    const [target] = (await this.#o.profiles.get([targetId])).values();
    // A deleted account keeps a placeholder profile for old conversations; nobody can write to it.
    if (!target || target.accountDeleted) throw new AppError(ErrorCode.USER_NOT_FOUND);
    const relation = await this.#o.friends.relation(senderId, targetId);
    if (relation.blockedByPeer) throw new AppError(ErrorCode.MESSAGE_BLOCKED);
    if (!relation.isFriend && !this.#o.allowStrangers) throw new AppError(ErrorCode.MESSAGE_NOT_FRIEND);
  }

  #ack(record: SentRecord): SendAck {
    return {
      messageId: record.messageId,
      sessionId: record.sessionId,
      seq: record.seq,
      syncSeq: record.senderSyncSeq,
      timestamp: record.createdAt.getTime(),
    };
  }

  /** Acknowledged messages, many users' at once: receipts that arrive together are stored by one statement. */
  async delivered(receipts: Array<{ userId: string; messageIds: string[] }>): Promise<void> {
    const some = receipts.filter((receipt) => receipt.messageIds.length > 0);
    if (some.length > 0) await this.#receipts.submit(some);
  }

  async timeline(userId: string, afterSyncSeq: number, limit: number): Promise<TimelinePage> {
    const { entries, head } = await this.#o.store.timelinePage(userId, afterSyncSeq, limit);
    const senders = await this.#profiles(entries.flatMap((e) => (e.message ? [e.message.senderId] : [])));
    const items = entries.map((entry) => ({ syncSeq: entry.syncSeq, frame: entryFrame(entry, senders) }));
    const nextSyncSeq = items.at(-1)?.syncSeq ?? Math.max(afterSyncSeq, 0);
    return { items, head, hasMore: nextSyncSeq < head, nextSyncSeq };
  }

  /** Offline pull (seed §5.2.5): the timeline after `lastSeq`, messages apart for simple clients. */
  async offline(userId: string, lastSeq: number, limit: number) {
    const page = await this.timeline(userId, lastSeq, limit);
    // A position past the newest event: never synced here (110101), or ahead of the server (110102).
    if (lastSeq > page.head)
      throw new AppError(page.head === 0 ? ErrorCode.SYNC_DATA_NOT_FOUND : ErrorCode.SYNC_VERSION_CONFLICT);
    const events = page.items.flatMap(({ syncSeq, frame }) =>
      frame ? [{ syncSeq, type: frame.type, data: frame.data }] : [],
    );
    return {
      messages: events
        .filter((e) => e.type === 'NEW_MESSAGE')
        .map((e) => e.data as MessageView & { syncSeq: number }),
      events,
      hasMore: page.hasMore,
      nextSeq: page.nextSyncSeq,
    };
  }

  /** Who may read a conversation, and what they may see of it; refuses everyone else. */
  async #access(userId: string, sessionId: string): Promise<Access> {
    const peer = peerOf(sessionId, userId);
    if (peer)
      return { kind: 'single', peer, participants: [userId, peer], role: 'member', visibleFrom: undefined };
    if (sessionId === systemSessionId(userId))
      return { kind: 'system', participants: [userId], role: 'member', visibleFrom: undefined };
    const groupId = /^g_([0-9]+)$/.exec(sessionId)?.[1];
    if (!groupId) throw new AppError(ErrorCode.FORBIDDEN, { detail: 'you are not in this conversation' });
    const group = await this.#o.groups.member(groupId, userId);
    return {
      kind: 'group',
      groupId,
      participants: [...new Set([...group.memberIds, userId])],
      role: group.member.role,
      visibleFrom: group.historyVisible ? undefined : new Date(group.member.joinedAt),
    };
  }

  /** A message the user may see, with their access to its conversation; 50101 for anything else. */
  async #visibleMessage(
    userId: string,
    messageId: string,
  ): Promise<{ message: StoredMessage; access: Access }> {
    const message = await this.#o.store.message(messageId);
    if (!message) throw new AppError(ErrorCode.MESSAGE_NOT_FOUND);
    const access = await this.#access(userId, message.sessionId).catch(() => undefined);
    if (!access || (access.visibleFrom && message.createdAt < access.visibleFrom))
      throw new AppError(ErrorCode.MESSAGE_NOT_FOUND);
    return { message, access };
  }

  /**
   * For the features beside sending (edits.ts, reactions.ts, pins.ts, threads.ts): the same
   * access rules, moderation and delivery as messages have.
   */
  readonly shared = {
    visibleMessage: (userId: string, messageId: string) => this.#visibleMessage(userId, messageId),
    access: (userId: string, sessionId: string) => this.#access(userId, sessionId),
    moderate: (contentType: string, content: unknown) => this.#moderate(contentType, content),
    deliverEvents: (appended: Map<TimelineEvent, number>, timestamp: number) =>
      this.#deliverEvents(appended, timestamp),
    deliver: (deliveries: Delivery[]) => this.#deliver(deliveries),
    profiles: (userIds: string[]) => this.#profiles(userIds),
    /** Stores a message the platform writes (system notices), with the audience rules of its type. */
    store: (input: StoreInput) => this.#store(input),
  };

  /** Read receipts of a group message: who of the members read it, and when (members only). */
  async groupReads(userId: string, groupId: string, messageId: string) {
    const access = await this.#access(userId, groupSessionId(groupId));
    const { message } = await this.#visibleMessage(userId, messageId);
    if (message.sessionId !== groupSessionId(groupId)) throw new AppError(ErrorCode.MESSAGE_NOT_FOUND);
    const readers = await this.#shownReaders(
      await this.#o.store.readers(message.sessionId, message.seq, message.senderId, access.participants),
      userId,
    );
    const profiles = await this.#profiles(readers.map((r) => r.userId));
    const audience = access.participants.filter((id) => id !== message.senderId).length;
    return {
      readCount: readers.length,
      unreadCount: Math.max(0, audience - readers.length),
      readMembers: readers.map((r) => ({
        userId: r.userId,
        nickname: profiles.get(r.userId)?.nickname ?? null,
        readAt: r.readAt.toISOString(),
      })),
    };
  }

  async history(
    userId: string,
    query: {
      sessionId: string;
      startSeq?: number | undefined;
      limit: number;
      direction: 'forward' | 'backward';
    },
  ) {
    const access = await this.#access(userId, query.sessionId);
    const rows = await this.#o.store.history({
      userId,
      ...query,
      startSeq: query.startSeq,
      limit: query.limit + 1,
      from: access.visibleFrom,
    });
    const page = rows.slice(0, query.limit);
    const peer = access.kind === 'single' ? access.peer : undefined;
    const [senders, cursors] = await Promise.all([
      this.#profiles(page.map((m) => m.senderId)),
      peer ? this.#o.store.cursors(query.sessionId, [peer]) : new Map(),
    ]);
    const peerCursor = peer ? cursors.get(peer) : undefined;
    // Reads show only where both sides have read receipts on (privacy settings).
    const readsShown = !peer || (await this.#receiptsOn([userId, peer]));
    // Per-member status is for one-to-one messages; group messages have read receipts instead.
    const statusOf = (message: StoredMessage): MessageStatus | null => {
      if (message.senderId !== userId || !peer) return null;
      if (readsShown && (peerCursor?.readSeq ?? 0) >= message.seq) return 'read';
      if ((peerCursor?.deliveredSeq ?? 0) >= message.seq) return 'delivered';
      return 'sent';
    };
    return {
      messages: page.map((m) => ({ ...messageView(m, senders.get(m.senderId)), status: statusOf(m) })),
      hasMore: rows.length > query.limit,
    };
  }

  async markRead(userId: string, sessionId: string, messageIds: string[] | undefined) {
    const access = await this.#access(userId, sessionId);
    const peer = access.kind === 'single' ? access.peer : undefined;
    let readSeq: number;
    let receiptIds: string[] = [];
    if (messageIds && messageIds.length > 0) {
      const found = await this.#o.store.messagesIn(sessionId, messageIds);
      if (found.length !== new Set(messageIds).size)
        throw new AppError(ErrorCode.MESSAGE_NOT_FOUND, {
          detail: 'a messageId is not in this conversation',
        });
      readSeq = Math.max(...found.map((m) => m.seq));
      receiptIds = found.filter((m) => m.senderId !== userId).map((m) => m.messageId);
    } else {
      readSeq = await this.#o.store.lastSeq(sessionId);
    }
    const now = Date.now();
    const payload = { sessionId, userId, messageIds: receiptIds, readSeq };
    // With read receipts off (privacy setting) the read reaches only the reader's own devices.
    const showsReads = await this.#receiptsOn([userId]);
    const result = await this.#o.store.markRead(
      userId,
      sessionId,
      readSeq,
      // The peer of a one-to-one conversation and the reader's own devices; group senders below.
      () =>
        (peer && showsReads ? [peer, userId] : [userId]).map((recipient) => ({
          userId: recipient,
          kind: 'read' as const,
          eventId: `read:${sessionId}:${userId}:${readSeq}`,
          payload,
        })),
      outboxEvent(MessageTopics.read, {
        userId,
        sessionId,
        readSeq: BigInt(readSeq),
        readAt: timestampFromDate(new Date(now)),
      }),
    );
    if (!result.advanced) return { readSeq: result.previous };
    await this.#deliverEvents(result.appended, now);
    await this.#o.outbox.publish(result.outbox);
    if (access.kind === 'group' && showsReads)
      await this.#groupReceipts(access, userId, sessionId, result.previous, readSeq, now);
    return { readSeq };
  }

  /** Whether every one of these users has read receipts on. */
  async #receiptsOn(userIds: string[]): Promise<boolean> {
    const settings = await this.#o.readReceipts(userIds);
    return userIds.every((id) => settings.get(id) !== false);
  }

  /**
   * The readers a viewer is shown: those with read receipts on, and none when the viewer has them
   * off (who hides their reads sees no one else's).
   */
  async #shownReaders<R extends { userId: string }>(readers: R[], viewerId: string): Promise<R[]> {
    const settings = await this.#o.readReceipts([viewerId, ...readers.map((r) => r.userId)]);
    if (settings.get(viewerId) === false) return [];
    return readers.filter((r) => settings.get(r.userId) !== false);
  }

  /** GROUP_MESSAGE_READ to each sender whose messages the reader just read, with the new count. */
  async #groupReceipts(
    access: Access & { kind: 'group' },
    readerId: string,
    sessionId: string,
    previous: number,
    readSeq: number,
    now: number,
  ) {
    const latest = await this.#o.store.latestBySender(sessionId, previous, readSeq, readerId);
    const events: TimelineEvent[] = [];
    for (const { senderId, messageId, seq } of latest) {
      const readers = await this.#shownReaders(
        await this.#o.store.readers(sessionId, seq, senderId, access.participants),
        senderId,
      );
      events.push({
        userId: senderId,
        kind: 'group_read',
        eventId: `group-read:${messageId}:${readerId}`,
        payload: {
          sessionId,
          groupId: access.groupId,
          userId: readerId,
          messageId,
          readCount: readers.length,
        },
      });
    }
    await this.#deliverEvents(await this.#o.store.appendEvents(events), now);
  }

  async recall(userId: string, messageId: string) {
    const { message, access } = await this.#visibleMessage(userId, messageId);
    if (message.recalled) throw new AppError(ErrorCode.MESSAGE_RECALLED);
    // Group owners recall any message at any time, admins their own and plain members' (as they
    // remove and mute only plain members); everyone else their own, in the window.
    const moderator =
      access.kind === 'group' &&
      (access.role === 'owner' ||
        (access.role === 'admin' &&
          (message.senderId === userId ||
            (await this.#plainMemberOrGone(access.groupId, message.senderId)))));
    if (!moderator) {
      if (message.senderId !== userId) throw new AppError(ErrorCode.MESSAGE_RECALL_FORBIDDEN);
      if (Date.now() - message.createdAt.getTime() > this.#o.recallWindowMs)
        throw new AppError(ErrorCode.MESSAGE_RECALL_EXPIRED);
    }
    await this.#recall(message, access.participants, userId);
  }

  /** Whether a group's sender is a plain member, or no longer in the group. */
  async #plainMemberOrGone(groupId: string, senderId: string): Promise<boolean> {
    const { member } = await this.#o.groups.context(groupId, senderId);
    return member === null || member.role === 'member';
  }

  /**
   * The platform administrator recalls any message, whatever its age and sender: the participants
   * get MESSAGE_RECALLED (`recalledBy` SYSTEM_SENDER, `byAdministrator`) as for a user's recall.
   */
  async recallByAdministrator(messageId: string): Promise<{ messageId: string; sessionId: string }> {
    const message = await this.#o.store.message(messageId);
    if (!message) throw new AppError(ErrorCode.MESSAGE_NOT_FOUND);
    if (message.recalled) throw new AppError(ErrorCode.MESSAGE_RECALLED);
    const participants =
      singleSessionUsers(message.sessionId) ?? (await this.#o.groups.memberIds(message.targetId));
    await this.#recall(message, participants.length > 0 ? participants : [message.senderId], SYSTEM_SENDER, {
      byAdministrator: true,
    });
    return { messageId, sessionId: message.sessionId };
  }

  /** Marks a message recalled, tells the participants (timeline + push) and the session service. */
  async #recall(
    message: StoredMessage,
    participants: string[],
    recalledBy: string,
    extra: Record<string, unknown> = {},
  ) {
    const { messageId } = message;
    const now = Date.now();
    const result = await this.#o.store.recall(
      messageId,
      (m) =>
        participants.map((recipient) => ({
          userId: recipient,
          kind: 'recall' as const,
          eventId: `recall:${messageId}`,
          payload: { messageId, sessionId: m.sessionId, seq: m.seq, recalledBy, ...extra },
        })),
      () =>
        outboxEvent(MessageTopics.recalled, {
          messageId,
          sessionId: message.sessionId,
          participants,
          seq: BigInt(message.seq),
          recalledBy,
          recalledAt: timestampFromDate(new Date(now)),
        }),
    );
    if (!result) throw new AppError(ErrorCode.MESSAGE_RECALLED);
    await this.#deliverEvents(result.appended, now);
    await this.#o.outbox.publish(result.outbox);
  }

  /** Any conversation's messages for moderation, newest first, before `beforeSeq`; recalled ones flagged. */
  async historyForAdministrator(sessionId: string, beforeSeq: number | undefined, limit: number) {
    // No user's cleared or deleted messages apply: SYSTEM_SENDER has none.
    const rows = await this.#o.store.history({
      userId: SYSTEM_SENDER,
      sessionId,
      startSeq: beforeSeq,
      limit,
      direction: 'backward',
    });
    const senders = await this.#profiles(rows.map((m) => m.senderId));
    return { messages: rows.map((m) => messageView(m, senders.get(m.senderId))) };
  }

  /** Messages per minute over the last `minutes` minutes and by content type; the total ever. */
  stats(minutes: number): Promise<MessageStats> {
    return messageStats(this.#o.store, minutes);
  }

  async deleteForMe(userId: string, messageId: string) {
    const { message } = await this.#visibleMessage(userId, messageId);
    const appended = await this.#o.store.hide(userId, message, {
      userId,
      kind: 'notify',
      eventId: `deleted:${messageId}`,
      payload: { kind: 'message.deleted', payload: { messageId, sessionId: message.sessionId } },
    });
    await this.#deliverEvents(appended, Date.now());
  }

  async clear(userId: string, sessionId: string) {
    await this.#access(userId, sessionId);
    const { clearedSeq, appended, outbox } = await this.#o.store.clear(
      userId,
      sessionId,
      (seq) => ({
        userId,
        kind: 'notify',
        eventId: `cleared:${sessionId}:${seq}`,
        payload: { kind: 'session.cleared', payload: { sessionId, clearedSeq: seq } },
      }),
      (seq) => outboxEvent(MessageTopics.cleared, { userId, sessionId, clearedSeq: BigInt(seq) }),
    );
    await this.#deliverEvents(appended, Date.now());
    await this.#o.outbox.publish(outbox);
    return { clearedSeq };
  }

  async search(userId: string, query: SearchQuery) {
    if (query.sessionId) await this.#access(userId, query.sessionId);
    const filters = {
      userId,
      sessionId: query.sessionId,
      senderId: query.senderId,
      contentType: query.contentType,
      from: query.startTime,
      to: query.endTime,
      offset: (query.page - 1) * query.pageSize,
      limit: query.pageSize,
    };
    const { hits, ...found } = query.keyword
      ? await this.#o.search.byKeyword({ ...filters, keyword: query.keyword, sort: query.sort })
      : await this.#o.search.byFilters(filters);
    const senders = await this.#profiles(hits.map((hit) => hit.message.senderId));
    return {
      ...found,
      messages: hits.map((hit) => ({
        ...messageView(hit.message, senders.get(hit.message.senderId)),
        highlight: hit.highlight,
      })),
    };
  }

  /** Notifications of other services (friend, session, group events) into their recipients' timelines. */
  async appendNotification(event: TimelineAppendRequested): Promise<void> {
    const appended = await this.#o.store.appendEvents(
      [...new Set(event.recipients)].map((userId) => ({
        userId,
        kind: 'notify',
        eventId: event.eventId,
        payload: {
          kind: event.kind,
          payload: event.payload ?? {},
          ...(event.originDevice ? { originDeviceId: event.originDevice.deviceId } : {}),
        },
      })),
    );
    await this.#deliverEvents(appended, Date.now());
  }

  /**
   * Pushes appended events to every device of their users, the one that caused them included:
   * timeline events reach each device in syncSeq order, so none may be left out.
   */
  async #deliverEvents(appended: Map<TimelineEvent, number>, timestamp: number) {
    await this.#deliver(
      [...appended].map(([event, syncSeq]) => ({
        userId: event.userId,
        syncSeq,
        frame: eventFrame(event.kind, event.payload, syncSeq, timestamp),
      })),
    );
  }

  /** Pushes to online devices. Never fails the caller: what was stored reaches them through sync. */
  async #deliver(deliveries: Delivery[], traceId?: string) {
    try {
      await this.#o.router.route(deliveries, traceId ? { traceId } : {});
    } catch (error) {
      this.#o.logger.warn({ err: error }, 'push to gateways failed; recipients will get it through sync');
    }
  }
}
