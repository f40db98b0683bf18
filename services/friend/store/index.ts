export { FriendStore, type RequestFilter } from './friend-store.ts';
export type { FriendWrites } from './friend-writes.ts';
export type { FriendListOptions, FriendRecord, ListedFriendPage } from './records.ts';
