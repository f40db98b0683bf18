import { createHash } from 'node:crypto';
import type { InvokePort } from '../ports/index.ts';
import { BulkCalls, callBulk } from './bulk.ts';
import type { PrivacySettings as PrivacyEntry } from './gen/anychat/user/v1/user_pb.ts';

/** Who may find a user by one identifier, or see their presence. */
export const VISIBILITIES = ['everyone', 'friends', 'nobody'] as const;
export type Visibility = (typeof VISIBILITIES)[number];
/** Who may send a user a friend request. */
export const ADD_ME_POLICIES = ['everyone', 'friends_of_friends', 'nobody'] as const;
export type AddMePolicy = (typeof ADD_ME_POLICIES)[number];

/** A user's privacy settings (seed §4.2 "隐私设置"). */
export interface Privacy {
  findByPhone: Visibility;
  findByEmail: Visibility;
  findByAccount: Visibility;
  addMe: AddMePolicy;
  /** Who sees online status and last-seen time. */
  presence: Visibility;
  /** Reads are shown to others; off: they are not, and the user sees no one else's either. */
  readReceipts: boolean;
}

/** What a user has before changing anything: as open as the platform was before these settings. */
export const DEFAULT_PRIVACY: Privacy = {
  findByPhone: 'everyone',
  findByEmail: 'everyone',
  findByAccount: 'everyone',
  addMe: 'everyone',
  presence: 'everyone',
  readReceipts: true,
};

const oneOf = <T extends string>(values: readonly T[], value: string, fallback: T): T =>
  values.includes(value as T) ? (value as T) : fallback;

/** A contract entry as settings; an unknown value reads as the default. */
export function privacyOf(entry: Omit<PrivacyEntry, '$typeName' | 'userId'>): Privacy {
  const d = DEFAULT_PRIVACY;
  return {
    findByPhone: oneOf(VISIBILITIES, entry.findByPhone, d.findByPhone),
    findByEmail: oneOf(VISIBILITIES, entry.findByEmail, d.findByEmail),
    findByAccount: oneOf(VISIBILITIES, entry.findByAccount, d.findByAccount),
    addMe: oneOf(ADD_ME_POLICIES, entry.addMe, d.addMe),
    presence: oneOf(VISIBILITIES, entry.presence, d.presence),
    readReceipts: entry.readReceipts,
  };
}

/** Whether a viewer (a friend of the user or not) passes a visibility setting. */
export const visibleTo = (visibility: Visibility, isFriend: boolean): boolean =>
  visibility === 'everyone' || (visibility === 'friends' && isFriend);

/**
 * Privacy settings of these users (each asked once) from the user service; a user it does not
 * know gets the defaults.
 */
export async function privacySettingsOf(
  invoke: InvokePort,
  userIds: Iterable<string>,
): Promise<Map<string, Privacy>> {
  const ids = [...new Set(userIds)];
  const entries = await callBulk(invoke, BulkCalls.privacySettings, ids, {});
  const found = new Map(entries.map((entry) => [entry.userId, privacyOf(entry)]));
  return new Map(ids.map((id) => [id, found.get(id) ?? DEFAULT_PRIVACY]));
}

/**
 * Contact discovery hashes (POST /api/v1/friends/contacts): lower-case hex SHA-256 of this prefix
 * followed by the number's digits alone (no `+`, spaces or dashes). The prefix names the scheme's
 * version, so that the hashes are of no use against another service's table.
 */
/** Contact hashes one FindByPhoneHashes call (and one upload of a phone book) takes: 33 KB of JSON, within the default body limit. */
export const MAX_PHONE_HASHES = 500;

export const CONTACT_HASH_PREFIX = 'anychat-contacts-v1:';

export const contactHashOf = (phoneNumber: string): string =>
  createHash('sha256')
    .update(CONTACT_HASH_PREFIX + phoneNumber.replace(/\D/g, ''))
    .digest('hex');

/** Whether each of these users shows (and sees) read receipts: their privacy setting. */
export async function readReceiptsOf(
  invoke: InvokePort,
  userIds: Iterable<string>,
): Promise<Map<string, boolean>> {
  const privacy = await privacySettingsOf(invoke, userIds);
  return new Map([...privacy].map(([userId, settings]) => [userId, settings.readReceipts]));
}
