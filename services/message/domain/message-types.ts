import type { ServerFrame } from '../../platform/contracts/index.ts';

/** What the message service answers: a send's acknowledgement, timeline pages, a message's status. */

export interface SendAck {
  messageId: string;
  sessionId: string;
  seq: number;
  syncSeq: number;
  timestamp: number;
}

export interface TimelineItem {
  syncSeq: number;
  /** null: the user deleted that message; the position is used up all the same. */
  frame: ServerFrame | null;
}

export interface TimelinePage {
  items: TimelineItem[];
  /** The user's latest syncSeq. */
  head: number;
  hasMore: boolean;
  /** Where the next page starts (the last syncSeq looked at). */
  nextSyncSeq: number;
}

export type MessageStatus = 'sent' | 'delivered' | 'read';
