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
}
