import type { NotificationData, ProfileSummary, ServerFrame } from '../../platform/contracts/index.ts';
import type { StoredMessage, TimelineEntry } from './store.ts';

/** The message as clients see it: in NEW_MESSAGE frames, offline pull and history. */
export interface MessageView {
  messageId: string;
  sessionId: string;
  sessionType: string;
  senderId: string;
  senderName: string | null;
  senderAvatar: string | null;
  targetId: string;
  clientMsgId: string;
  contentType: string;
  /** null once recalled: a recalled message's content is never served again. */
  content: unknown;
  mentions: string[];
  recalled: boolean;
  /** When the content was last edited; absent if never. */
  editedAt?: number;
  seq: number;
  timestamp: number;
}

export function messageView(message: StoredMessage, sender: ProfileSummary | null | undefined): MessageView {
  return {
    messageId: message.messageId,
    sessionId: message.sessionId,
    sessionType: message.sessionType,
    senderId: message.senderId,
    senderName: sender?.nickname ?? null,
    senderAvatar: sender?.avatar ?? null,
    targetId: message.targetId,
    clientMsgId: message.clientMsgId,
    contentType: message.contentType,
    content: message.recalled ? null : message.content,
    mentions: message.mentions,
    recalled: message.recalled,
    ...(message.editedAt ? { editedAt: message.editedAt.getTime() } : {}),
    seq: message.seq,
    timestamp: message.createdAt.getTime(),
  };
}

const FRAME_OF_KIND = {
  recall: 'MESSAGE_RECALLED',
  read: 'MESSAGE_READ',
  group_read: 'GROUP_MESSAGE_READ',
  notify: 'NOTIFICATION',
  edit: 'MESSAGE_EDITED',
  reaction: 'MESSAGE_REACTION',
  pin: 'MESSAGE_PINNED',
  thread: 'THREAD_UPDATED',
  destroy: 'MESSAGE_DESTROYED',
  draft: 'DRAFT_UPDATED',
} as const;

export function newMessageFrame(view: MessageView, syncSeq: number): ServerFrame {
  return {
    type: 'NEW_MESSAGE',
    msgId: view.messageId,
    timestamp: view.timestamp,
    data: { ...view, syncSeq },
  };
}

/** The frame of an event entry (recall, receipt, notification) as stored in the timeline. */
export function eventFrame(
  kind: keyof typeof FRAME_OF_KIND,
  payload: Record<string, unknown>,
  syncSeq: number,
  timestamp: number,
): ServerFrame {
  if (kind === 'notify') {
    const data: NotificationData = {
      syncSeq,
      kind: payload.kind as string,
      payload: payload.payload as Record<string, unknown>,
      timestamp,
      ...(typeof payload.originDeviceId === 'string' ? { originDeviceId: payload.originDeviceId } : {}),
    };
    return { type: 'NOTIFICATION', timestamp, data };
  }
  return { type: FRAME_OF_KIND[kind], timestamp, data: { ...payload, syncSeq, timestamp } };
}

/** A timeline entry as a frame; null when the user deleted the message (the syncSeq is still used up). */
export function entryFrame(
  entry: TimelineEntry,
  senders: Map<string, ProfileSummary | null>,
): ServerFrame | null {
  if (entry.kind === 'message')
    return entry.message
      ? newMessageFrame(messageView(entry.message, senders.get(entry.message.senderId)), entry.syncSeq)
      : null;
  // An edit replays the message's current content (none once recalled, deleted or cleared).
  if (entry.kind === 'edit')
    return entry.message
      ? eventFrame(
          'edit',
          { ...entry.payload, content: entry.message.recalled ? null : entry.message.content },
          entry.syncSeq,
          entry.createdAt.getTime(),
        )
      : null;
  return eventFrame(entry.kind, entry.payload ?? {}, entry.syncSeq, entry.createdAt.getTime());
}
