export { GroupStore } from './group-store.ts';
export type { GroupWrites } from './group-writes.ts';
export type { InvitationRecord } from './invitation-queries.ts';
export type { ListedGroup, ListedPage, MemberRecord, Membership } from './records.ts';
