import { reactive, watch } from 'vue';
import type { Friend } from './api/types.ts';
import { http, loadConversations, state } from './store.ts';

/**
 * Contacts beyond the list itself: remarks, categories, the blacklist and deleting a friend
 * (the friend service's /api/v1/friends routes).
 */

export interface Category {
  categoryId: string;
  name: string;
  friendCount: number;
}

export interface BlockedUser {
  userId: string;
  nickname: string;
  avatar: string | null;
  blockedAt: string;
}

/** `all`, `0` (friends in no category) or a category id: which friends the list shows. */
export const contacts = reactive({
  categories: [] as Category[],
  blacklist: [] as BlockedUser[],
  category: 'all',
});

// Signing out, or in as someone else, leaves nothing of the previous account's lists.
watch(
  () => state.me?.userId,
  () => Object.assign(contacts, { categories: [], blacklist: [], category: 'all' }),
);

export function inShownCategory(friend: Friend): boolean {
  if (contacts.category === 'all') return true;
  if (contacts.category === '0') return !friend.categoryId;
  return friend.categoryId === contacts.category;
}

export function isBlocked(userId: string): boolean {
  return contacts.blacklist.some((entry) => entry.userId === userId);
}

function showFriend(friend: Friend) {
  const shown = state.friends[friend.userId];
  if (shown) Object.assign(shown, { remark: friend.remark, categoryId: friend.categoryId });
}

/** Sets (or, empty, clears) the name only I see for a friend. */
export async function setRemark(friendId: string, remark: string): Promise<void> {
  showFriend(
    await http.call<Friend>('PUT', `/api/v1/friends/${friendId}/remark`, { remark: remark.trim() || null }),
  );
}

export async function loadCategories(): Promise<void> {
  contacts.categories = (await http.get<{ categories: Category[] }>('/api/v1/friends/categories')).categories;
}

export async function createCategory(name: string): Promise<void> {
  await http.call('POST', '/api/v1/friends/categories', { name });
  await loadCategories();
}

export async function moveToCategory(friendId: string, categoryId: string | null): Promise<void> {
  showFriend(await http.call<Friend>('PUT', `/api/v1/friends/${friendId}/category`, { categoryId }));
  await loadCategories();
}

export async function loadBlacklist(): Promise<void> {
  contacts.blacklist = (
    await http.get<{ users: BlockedUser[] }>('/api/v1/friends/blacklist', { pageSize: 100 })
  ).users;
}

/** Blacklists a user: their messages and friend requests are refused (a friendship stays). */
export async function block(userId: string): Promise<void> {
  await http.call('POST', '/api/v1/friends/blacklist', { userId });
  await loadBlacklist();
}

export async function unblock(userId: string): Promise<void> {
  await http.call('DELETE', `/api/v1/friends/blacklist/${userId}`);
  await loadBlacklist();
}

/** Deletes a friend on both sides. */
export async function deleteFriend(friendId: string): Promise<void> {
  await http.call('DELETE', `/api/v1/friends/${friendId}`);
  delete state.friends[friendId];
  await loadConversations();
}
