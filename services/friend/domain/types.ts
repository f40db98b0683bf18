import type { Origin, ProfileSummary } from '../../platform/contracts/index.ts';
import type { FriendCategory, FriendRequest } from '../entities.ts';
import type { FriendWrites } from '../store/index.ts';

export const REQUEST_SOURCES = ['search', 'qrcode', 'group', 'contacts'] as const;
export type RequestSource = (typeof REQUEST_SOURCES)[number];
export type RequestDirection = 'incoming' | 'outgoing';
/** What a client sees: a pending request past its lifetime is `expired`. */
export type RequestState = 'pending' | 'accepted' | 'rejected' | 'expired';

export type { Origin };

export interface RequestView {
  request: FriendRequest;
  state: RequestState;
  expiresAt: Date;
  /** The other user of the request. */
  peer: ProfileSummary | undefined;
}

export interface PresenceView {
  online: boolean;
  platforms: string[];
  lastActiveAt: number | null;
}

export interface FriendView {
  friendId: string;
  profile: ProfileSummary | undefined;
  remark: string | null;
  categoryId: string | null;
  isMuted: boolean;
  isStarred: boolean;
  since: Date;
  version: number;
  presence: PresenceView;
}

export type FriendChange =
  | ({ deleted: false } & FriendView)
  | { deleted: true; friendId: string; version: number };

export interface FriendPage {
  friends: FriendChange[];
  /** Friends matching the filter (full listing) or all friends (changes). */
  total: number;
  /** Cursor for the next incremental call. */
  updateTime: number;
  hasMore: boolean;
}

export interface CategoryView {
  category: FriendCategory;
  friendCount: number;
}

export interface FriendSettingsChanges {
  isMuted?: boolean | undefined;
  isStarred?: boolean | undefined;
}

export interface NotifyOptions {
  origin?: Origin | undefined;
  eventId?: string;
}

export interface WriteContext {
  tx: FriendWrites;
  notify(kind: string, recipients: string[], payload: Record<string, unknown>, options?: NotifyOptions): void;
}
