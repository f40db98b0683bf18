import { toRaw } from 'vue';
import type { Message } from './api/types.ts';

/** A message as the client shows it: sent ones carry their upload or delivery state. */
export interface ChatMessage extends Message {
  pending?: boolean;
  failed?: string;
  /** An image being uploaded: a local preview and how far the upload got (0..1). */
  localUrl?: string;
  progress?: number;
}

/**
 * A conversation's messages in `seq` order, pending ones last, at most one copy of each (by
 * `messageId`, or by sender and `clientMsgId` before the server numbered it). The lists are
 * reactive; scans and searches read the raw arrays (a long conversation would otherwise pay a
 * proxy trap per element on every message) and a page of history goes in as one assignment.
 */
function sameMessage(a: ChatMessage, b: ChatMessage): boolean {
  return (
    (a.messageId !== '' && a.messageId === b.messageId) ||
    (a.senderId === b.senderId && a.clientMsgId === b.clientMsgId)
  );
}

/** Where a numbered message goes: after every message with a lower `seq`, before pending ones. */
function insertionPoint(raw: ChatMessage[], message: ChatMessage): number {
  if (message.pending) return raw.length;
  let low = 0;
  let high = raw.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const other = raw[middle]!;
    if (!other.pending && other.seq <= message.seq) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Adds `message` to `list` or updates its copy (keeping a local preview); true when it was new. */
export function upsertMessage(list: ChatMessage[], message: ChatMessage): boolean {
  const raw = toRaw(list);
  const existing = raw.findIndex((other) => sameMessage(other, message));
  if (existing >= 0) {
    const { localUrl, progress } = raw[existing]!;
    list[existing] = { ...message, ...(localUrl ? { localUrl } : {}), ...(progress ? { progress } : {}) };
    return false;
  }
  list.splice(insertionPoint(raw, message), 0, message);
  return true;
}

/** `list` with a page of history merged in (copies already there dropped), as a new array. */
export function mergePage(list: ChatMessage[], page: ChatMessage[]): ChatMessage[] {
  const raw = toRaw(list);
  const known = new Set<string>();
  for (const message of raw) {
    if (message.messageId) known.add(message.messageId);
    known.add(`${message.senderId}:${message.clientMsgId}`);
  }
  const fresh = page.filter(
    (message) => !known.has(message.messageId) && !known.has(`${message.senderId}:${message.clientMsgId}`),
  );
  return [...raw, ...fresh].sort(
    (a, b) => Number(a.pending ?? false) - Number(b.pending ?? false) || (a.pending ? 0 : a.seq - b.seq),
  );
}
