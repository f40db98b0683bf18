import type { InvokePort } from '../ports/index.ts';

/** Events and internal methods of the user service that other services rely on. */
export const UserTopics = {
  profileUpdated: 'user.profile.updated',
  settingsUpdated: 'user.settings.updated',
} as const;

export interface ProfileUpdatedEvent {
  userId: string;
  changed: string[];
  profile: { nickname: string; avatar: string | null; signature: string | null };
}

export interface SettingsUpdatedEvent {
  userId: string;
  settings: { friendVerify: boolean; notificationEnabled: boolean; language: string };
}

export const UserMethods = {
  createProfile: 'profiles.create',
  getProfiles: 'profiles.get',
  getSettings: 'settings.get',
} as const;

/** Most profiles `getProfiles` answers in one call. */
export const PROFILES_PER_CALL = 500;

/** Brief profiles of these users (each asked once), from the user service in calls it accepts. */
export async function fetchProfiles(
  invoke: InvokePort,
  userIds: string[],
): Promise<Map<string, BriefProfile>> {
  const unique = [...new Set(userIds)];
  const result = new Map<string, BriefProfile>();
  for (let start = 0; start < unique.length; start += PROFILES_PER_CALL) {
    const batch = await invoke.invoke<BriefProfile[]>('user', UserMethods.getProfiles, {
      userIds: unique.slice(start, start + PROFILES_PER_CALL),
    });
    for (const profile of batch) result.set(profile.userId, profile);
  }
  return result;
}

export interface CreateProfileRequest {
  userId: string;
  account: string;
  phoneNumber: string | null;
  email: string | null;
  nickname: string | null;
}

export interface BriefProfile {
  userId: string;
  nickname: string;
  avatar: string | null;
  signature: string | null;
  /** The account was deleted: the profile is a placeholder, and nobody can befriend it. */
  accountDeleted?: true;
}
