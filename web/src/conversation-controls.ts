import type { Conversation } from './api/types.ts';
import { t } from './i18n.ts';
import { type ChatMessage, http, loadConversations, state } from './store.ts';

/**
 * What a user does to a conversation or a message for themselves alone: pin, mute, remove from the
 * list, delete a message for me (the session and message services' routes).
 */

/** A conversation's name as I see it: my remark of the friend first. */
export function conversationName(conversation: Conversation): string {
  // The platform's notices to me alone: its target is no user, so it has no name of its own.
  if (conversation.sessionType === 'system') return t('systemConversation');
  const remark =
    conversation.sessionType === 'single' ? state.friends[conversation.targetId]?.remark : undefined;
  return remark || conversation.name || conversation.targetId;
}

/**
 * Pins or unpins. The list moves at once (pinned first; the sort is stable, so the rest keep their
 * order), then is read again as the server orders it.
 */
export async function setPinned(conversation: Conversation, isPinned: boolean): Promise<void> {
  await http.call('PUT', `/api/v1/sessions/${conversation.sessionId}/pin`, { isPinned });
  conversation.isPinned = isPinned;
  state.conversations = [...state.conversations].sort((a, b) => Number(b.isPinned) - Number(a.isPinned));
  await loadConversations();
}

/** Mutes or unmutes: a muted conversation still counts its unread messages, quietly. */
export async function setMuted(conversation: Conversation, isMuted: boolean): Promise<void> {
  await http.call('PUT', `/api/v1/sessions/${conversation.sessionId}/mute`, { isMuted });
  conversation.isMuted = isMuted;
  await loadConversations();
}

/** Takes a conversation off my list (it comes back with the next message). */
export async function removeConversation(conversation: Conversation): Promise<void> {
  await http.call('DELETE', `/api/v1/sessions/${conversation.sessionId}`);
  state.conversations = state.conversations.filter((c) => c.sessionId !== conversation.sessionId);
  if (state.activeId === conversation.sessionId) state.activeId = null;
}

/** Deletes a message for me; the other side keeps it. */
export async function deleteForMe(message: ChatMessage): Promise<void> {
  await http.call('DELETE', `/api/v1/messages/${message.messageId}`);
  const list = state.messages[message.sessionId];
  if (list) state.messages[message.sessionId] = list.filter((m) => m.messageId !== message.messageId);
}
