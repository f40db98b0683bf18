import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import type {
  MessageCleared,
  MessageCreated,
  MessageEdited,
  MessageRead,
  MessageRecalled,
} from '../../platform/contracts/gen/anychat/message/v1/events_pb.ts';
import type { SessionSettingsSchema } from '../../platform/contracts/gen/anychat/session/v1/session_pb.ts';
import {
  type GroupBrief,
  type ProfileSummary,
  peerOf,
  SYSTEM_SENDER,
  singleSessionId,
  systemSessionOwner,
  TimelineTopics,
} from '../../platform/contracts/index.ts';
import { type MikroORM, type SqlExecutor, sqlExecutor } from '../../platform/db/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import { EventPublisher, plainJson } from '../../platform/events/index.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import type { DeliveryResult, PubSubPort } from '../../platform/ports/index.ts';
import type { Principal } from '../../platform/security/index.ts';
import type { Directory } from '../clients/directory.ts';
import { applyEdit } from './edit-projection.ts';
import { applyMessages, type MessageForList } from './message-projection.ts';
import { type Owner, type SessionKind, type SessionRow, SessionStore } from './session-store.ts';
import { type Session, sessionOf } from './session-view.ts';

/** One conversation's pin and mute settings, as the contract answers them. */
type SessionSettingsInit = MessageInitShape<typeof SessionSettingsSchema>;

export interface SessionServiceDeps {
  orm: MikroORM;
  pubsub: PubSubPort;
  pubsubName: string;
  directory: Directory;
  ids: SnowflakeGenerator;
  logger: Logger;
}

export interface SessionList {
  total: number;
  sessions: Session[];
  updateTime: string;
}

export interface UnreadSummary {
  total: number;
  sessions: number;
  mentionUnread: number;
}

/** What a handled event amounts to: applied, or malformed for this service and dropped. */
export type EventOutcome = 'SUCCESS' | 'DROP';

const PREVIEW_MAX_CHARS = 200;
/**
 * Incremental sync hands out a cursor this far behind the database clock, so that a change whose
 * transaction was still committing when the list was read is sent again next time, never lost.
 */
const SYNC_OVERLAP_MS = 1000;

const kindOf = (sessionId: string): SessionKind =>
  sessionId.startsWith('g_') ? 'group' : sessionId.startsWith('n_') ? 'system' : 'single';

/**
 * What a conversation points at for one of its users; undefined when the user is not in it. A
 * system conversation points at the system (SYSTEM_SENDER) and belongs to its owner alone.
 */
function ownerOf(sessionId: string, userId: string): Owner | undefined {
  if (kindOf(sessionId) === 'group') return { ownerId: userId, targetId: sessionId.slice(2) };
  if (kindOf(sessionId) === 'system')
    return systemSessionOwner(sessionId) === userId
      ? { ownerId: userId, targetId: SYSTEM_SENDER }
      : undefined;
  const peer = peerOf(sessionId, userId);
  return peer === undefined ? undefined : { ownerId: userId, targetId: peer };
}

const clip = (text: string) => {
  const chars = Array.from(text);
  return chars.length <= PREVIEW_MAX_CHARS ? text : chars.slice(0, PREVIEW_MAX_CHARS).join('');
};

/**
 * Each user's conversation list. The message service's events feed it (last message, unread,
 * read position, recalls); the user's own requests change pin, mute and whether it is listed.
 */
export class SessionService {
  readonly #store: SessionStore;
  readonly #sql: SqlExecutor;
  readonly #deps: SessionServiceDeps;
  readonly #events: EventPublisher;

  constructor(deps: SessionServiceDeps) {
    this.#deps = deps;
    this.#store = new SessionStore(deps.orm);
    this.#sql = sqlExecutor(deps.orm);
    this.#events = new EventPublisher(deps.pubsub, deps.pubsubName);
  }

  /**
   * A batch of new messages (bulk delivery), applied together; one answer per event, in order. A
   * batch the database refuses as a whole is applied again one message at a time, so that only a
   * message that fails alone is retried.
   */
  async onMessagesCreated(events: MessageCreated[]): Promise<DeliveryResult[]> {
    const entries = events.map((event) => this.#forList(event));
    const valid = entries.filter((entry) => entry !== undefined);
    try {
      await applyMessages(this.#sql, valid);
      return entries.map((entry) => (entry ? 'SUCCESS' : 'DROP'));
    } catch (error) {
      if (valid.length <= 1) throw error;
      this.#deps.logger.warn(
        { err: error, size: valid.length },
        'a batch of new messages failed; applying each alone',
      );
    }
    const results: DeliveryResult[] = [];
    for (const entry of entries) {
      if (!entry) results.push('DROP');
      else
        results.push(
          await applyMessages(this.#sql, [entry]).then(
            () => 'SUCCESS' as const,
            (error: unknown) => {
              this.#deps.logger.warn(
                { err: error, messageId: entry.message.messageId },
                'new message not applied; will retry',
              );
              return 'RETRY' as const;
            },
          ),
        );
    }
    return results;
  }

  /** What a new message does to its participants' lists; undefined when the event is not one of ours. */
  #forList(event: MessageCreated): MessageForList | undefined {
    if (event.sessionType !== kindOf(event.sessionId) || !event.createdAt) return undefined;
    // A system notice (group created, member joined) has no sender of its own conversation list.
    const senders = event.senderId === SYSTEM_SENDER ? [] : [event.senderId];
    const users = [...new Set([...event.participants, ...senders])];
    const owners = users.map((userId) => ownerOf(event.sessionId, userId));
    if (owners.some((owner) => owner === undefined)) return undefined;
    return {
      message: {
        messageId: event.messageId,
        sessionId: event.sessionId,
        sessionType: kindOf(event.sessionId),
        senderId: event.senderId,
        seq: Number(event.seq),
        contentType: event.contentType,
        preview: clip(event.preview),
        mentions: event.mentions,
        mentionAll: event.mentionAll,
        createdAt: timestampDate(event.createdAt).toISOString(),
      },
      owners: owners as Owner[],
    };
  }

  async onMessageRead(event: MessageRead): Promise<EventOutcome> {
    const owner = ownerOf(event.sessionId, event.userId);
    if (!owner) return 'DROP';
    await this.#store.applyRead(owner, event.sessionId, kindOf(event.sessionId), Number(event.readSeq));
    return 'SUCCESS';
  }

  async onMessageRecalled(event: MessageRecalled): Promise<EventOutcome> {
    if (!event.recalledAt) return 'DROP';
    const owners = [...new Set(event.participants)].map((userId) => ownerOf(event.sessionId, userId));
    if (owners.some((owner) => owner === undefined)) return 'DROP';
    await this.#store.applyRecalled(event.sessionId, kindOf(event.sessionId), owners as Owner[], {
      messageId: event.messageId,
      seq: Number(event.seq),
      recalledAt: timestampDate(event.recalledAt).toISOString(),
    });
    return 'SUCCESS';
  }

  /** An edit of a conversation's last message shows as its preview on every participant's list. */
  async onMessageEdited(event: MessageEdited): Promise<EventOutcome> {
    await applyEdit(this.#sql, {
      sessionId: event.sessionId,
      messageId: event.messageId,
      version: event.version,
      preview: clip(event.preview),
    });
    return 'SUCCESS';
  }

  async onMessageCleared(event: MessageCleared): Promise<EventOutcome> {
    const owner = ownerOf(event.sessionId, event.userId);
    if (!owner) return 'DROP';
    await this.#store.applyCleared(owner, event.sessionId, kindOf(event.sessionId), Number(event.clearedSeq));
    return 'SUCCESS';
  }

  /** Listed conversations, pinned first, then by latest activity. */
  async list(userId: string, page: number, pageSize: number): Promise<SessionList> {
    const now = await this.#store.now();
    const { total, rows } = await this.#store.list(userId, page, pageSize);
    return { total, sessions: await this.#sessions(rows), updateTime: this.#cursor(now) };
  }

  /** Everything changed after `since`, deleted conversations included (`deleted: true`). */
  async changes(userId: string, since: Date): Promise<SessionList> {
    const now = await this.#store.now();
    const rows = await this.#store.changedSince(userId, since);
    return { total: rows.length, sessions: await this.#sessions(rows), updateTime: this.#cursor(now) };
  }

  /**
   * How far the user's conversation goes (its last or read seq, whichever is further) and whether
   * they muted it; null when they have none. For the push service's badges and mutes, without the
   * names a full view looks up.
   */
  async position(userId: string, sessionId: string): Promise<{ seq: number; isMuted: boolean } | null> {
    const row = await this.#store.find(userId, sessionId);
    return row ? { seq: Math.max(row.lastSeq, row.readSeq), isMuted: row.isMuted } : null;
  }

  async get(userId: string, sessionId: string): Promise<Session> {
    return this.#session(await this.#listed(userId, sessionId));
  }

  /** Opens a one-to-one conversation (again); idempotent. */
  async open(principal: Principal, sessionType: SessionKind, targetId: string): Promise<Session> {
    if (sessionType === 'group') {
      throw new AppError(ErrorCode.INVALID_PARAMS, {
        detail:
          'body.sessionType: group conversations are listed when you join the group, not opened by hand',
      });
    }
    if (targetId === principal.userId) {
      throw new AppError(ErrorCode.INVALID_PARAMS, {
        detail: 'body.targetId: cannot open a conversation with yourself',
      });
    }
    const profiles = await this.#deps.directory.profiles([targetId]);
    if (!profiles.has(targetId)) throw new AppError(ErrorCode.USER_NOT_FOUND, { detail: `user ${targetId}` });
    const sessionId = singleSessionId(principal.userId, targetId);
    const listed = await this.#store.open({ ownerId: principal.userId, targetId }, sessionId, sessionType);
    const session = await this.get(principal.userId, sessionId);
    if (listed) await this.#notify(principal, 'session.updated', session);
    return session;
  }

  /** Removes the conversation from the list until a newer message arrives; idempotent. */
  async remove(principal: Principal, sessionId: string): Promise<void> {
    const outcome = await this.#store.hide(principal.userId, sessionId);
    if (outcome === 'none') throw new AppError(ErrorCode.SESSION_NOT_FOUND, { detail: sessionId });
    if (outcome === 'hidden') await this.#notify(principal, 'session.deleted', { sessionId });
  }

  async setPinned(principal: Principal, sessionId: string, isPinned: boolean): Promise<Session> {
    return this.#setFlag(principal, sessionId, 'is_pinned', isPinned);
  }

  async setMuted(principal: Principal, sessionId: string, isMuted: boolean): Promise<Session> {
    return this.#setFlag(principal, sessionId, 'is_muted', isMuted);
  }

  async unread(userId: string): Promise<UnreadSummary> {
    return this.#store.unread(userId);
  }

  /** Pin and mute of the given conversations, one entry per id (defaults where the user has none). */
  async settings(userId: string, sessionIds: string[]): Promise<SessionSettingsInit[]> {
    const known = await this.#store.settings(userId, sessionIds);
    return sessionIds.map((sessionId) => ({
      sessionId,
      isMuted: known.get(sessionId)?.isMuted ?? false,
      isPinned: known.get(sessionId)?.isPinned ?? false,
    }));
  }

  async #setFlag(
    principal: Principal,
    sessionId: string,
    flag: 'is_pinned' | 'is_muted',
    value: boolean,
  ): Promise<Session> {
    const outcome = await this.#store.setFlag(principal.userId, sessionId, flag, value);
    if (outcome === 'none') throw new AppError(ErrorCode.SESSION_NOT_FOUND, { detail: sessionId });
    if (outcome === 'deleted') throw new AppError(ErrorCode.SESSION_DELETED, { detail: sessionId });
    const session = await this.get(principal.userId, sessionId);
    if (outcome === 'changed') await this.#notify(principal, 'session.updated', session);
    return session;
  }

  async #listed(userId: string, sessionId: string): Promise<SessionRow> {
    const row = await this.#store.find(userId, sessionId);
    if (!row || (!row.visible && !row.deleted))
      throw new AppError(ErrorCode.SESSION_NOT_FOUND, { detail: sessionId });
    if (!row.visible) throw new AppError(ErrorCode.SESSION_DELETED, { detail: sessionId });
    return row;
  }

  #cursor(now: Date): string {
    return new Date(now.getTime() - SYNC_OVERLAP_MS).toISOString();
  }

  async #session(row: SessionRow): Promise<Session> {
    const [session] = await this.#sessions([row]);
    return session!;
  }

  async #sessions(rows: SessionRow[]): Promise<Session[]> {
    const [profiles, groups] = await Promise.all([
      this.#profiles(rows.filter((row) => row.sessionType === 'single').map((row) => row.targetId)),
      this.#groups(rows.filter((row) => row.sessionType === 'group').map((row) => row.targetId)),
    ]);
    return rows.map((row) => {
      const group = row.sessionType === 'group' ? groups.get(row.targetId) : undefined;
      const look = group ? { nickname: group.name, avatar: group.avatar } : profiles.get(row.targetId);
      return sessionOf(row, look);
    });
  }

  /** Names and avatars of groups, from the group service; a list without them beats no list. */
  async #groups(groupIds: string[]): Promise<Map<string, GroupBrief>> {
    const unique = [...new Set(groupIds)];
    if (unique.length === 0) return new Map();
    try {
      return await this.#deps.directory.groups(unique);
    } catch (error) {
      this.#deps.logger.warn({ err: error }, 'could not load group names for the conversation list');
      return new Map();
    }
  }

  /** Names and avatars of peers; a list without them beats no list when the user service is away. */
  async #profiles(userIds: string[]): Promise<Map<string, ProfileSummary>> {
    const unique = [...new Set(userIds)];
    if (unique.length === 0) return new Map();
    try {
      // A list of changes may name more peers than one call to the user service takes.
      return await this.#deps.directory.profiles(unique);
    } catch (error) {
      this.#deps.logger.warn({ err: error }, 'could not load peer profiles for the conversation list');
      return new Map();
    }
  }

  /** Tells the user's other devices (through their sync timeline) after the change is stored. */
  async #notify(principal: Principal, kind: string, payload: Record<string, unknown>): Promise<void> {
    await this.#events
      .publish(TimelineTopics.append, {
        eventId: this.#deps.ids.next(),
        recipients: [principal.userId],
        kind,
        payload: plainJson(payload),
        originDevice: { userId: principal.userId, deviceId: principal.deviceId },
      })
      .catch((error: unknown) => this.#deps.logger.warn({ err: error, kind }, 'could not publish'));
  }
}
