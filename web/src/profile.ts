import { reactive, watch } from 'vue';
import type { Me } from './api/types.ts';
import { type Language, language, languageTag } from './i18n.ts';
import { http, showLanguage, state } from './store.ts';

/**
 * My profile, settings, privacy and devices as the user service and the auth service keep them
 * (GET/PUT /api/v1/users/me, /users/settings, /users/settings/privacy, /auth/devices). The screens
 * that show them are loaded only when opened; this module is their state.
 */

export type Gender = 0 | 1 | 2;

export interface MyProfile extends Me {
  gender: Gender;
  birthday: string | null;
  region: string | null;
}

export type Visibility = 'everyone' | 'friends' | 'nobody';

export interface Settings {
  friendVerify: boolean;
  notificationEnabled: boolean;
  language: string;
  groupInvitePolicy: Visibility;
  dndStart: string | null;
  dndEnd: string | null;
  timeZone: string;
  pushPreview: boolean;
  pushMentionsWhenMuted: boolean;
}

export interface Privacy {
  findByPhone: Visibility;
  findByEmail: Visibility;
  findByAccount: Visibility;
  addMe: 'everyone' | 'friends_of_friends' | 'nobody';
  presence: Visibility;
  readReceipts: boolean;
}

export interface Device {
  deviceId: string;
  deviceType: string;
  deviceName: string | null;
  lastLoginTime: string;
  lastLoginIp: string | null;
  signedIn: boolean;
  current: boolean;
}

export const mine = reactive({
  profile: null as MyProfile | null,
  settings: null as Settings | null,
  privacy: null as Privacy | null,
  devices: [] as Device[],
});

// Signing out, or in as someone else, leaves nothing of the previous account on these screens.
watch(
  () => state.me?.userId,
  () => Object.assign(mine, { profile: null, settings: null, privacy: null, devices: [] }),
);

function showAsMe(profile: MyProfile) {
  mine.profile = profile;
  state.me = profile;
}

export async function loadProfile(): Promise<void> {
  showAsMe(await http.get<MyProfile>('/api/v1/users/me'));
}

export type ProfileChanges = Partial<
  Pick<MyProfile, 'nickname' | 'signature' | 'gender' | 'birthday' | 'region'>
>;

export async function saveProfile(changes: ProfileChanges): Promise<void> {
  showAsMe(await http.call<MyProfile>('PUT', '/api/v1/users/me', changes));
}

/** Uploads an image as an avatar (type avatar, as the file service requires) and makes it mine. */
export async function uploadAvatar(file: File, onProgress: (fraction: number) => void): Promise<void> {
  const { fileId } = await http.upload<{ fileId: string }>(file, 'avatar', onProgress);
  showAsMe(await http.call<MyProfile>('PUT', '/api/v1/users/me', { avatarFileId: fileId }));
}

export async function loadSettings(): Promise<void> {
  mine.settings = await http.get<Settings>('/api/v1/users/settings');
}

export async function saveSettings(changes: Partial<Settings>): Promise<void> {
  mine.settings = await http.call<Settings>('PUT', '/api/v1/users/settings', changes);
}

export async function loadPrivacy(): Promise<void> {
  mine.privacy = await http.get<Privacy>('/api/v1/users/settings/privacy');
}

export async function savePrivacy(changes: Partial<Privacy>): Promise<void> {
  mine.privacy = await http.call<Privacy>('PUT', '/api/v1/users/settings/privacy', changes);
}

/** The browser's own time zone: do-not-disturb hours are kept in it. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export async function loadDevices(): Promise<void> {
  const { devices } = await http.get<{ devices: Device[] }>('/api/v1/auth/devices');
  // This browser first, then the signed-in ones, newest sign-in first (as the server orders them).
  mine.devices = [...devices].sort(
    (a, b) => Number(b.current) - Number(a.current) || Number(b.signedIn) - Number(a.signedIn),
  );
}

/** Signs another device out: its sessions end at once and its sockets get FORCE_LOGOUT. */
export async function signOutDevice(deviceId: string): Promise<void> {
  await http.call('DELETE', `/api/v1/auth/devices/${encodeURIComponent(deviceId)}`);
  await loadDevices();
}

/** Signs out every other signed-in device (the API ends them one by one). */
export async function signOutOtherDevices(): Promise<void> {
  const others = mine.devices.filter((device) => device.signedIn && !device.current);
  for (const device of others)
    await http.call('DELETE', `/api/v1/auth/devices/${encodeURIComponent(device.deviceId)}`);
  await loadDevices();
}

/**
 * Switches the screens' language and, signed in, keeps it in my settings too (the server's
 * messages, pushes and other devices follow it).
 */
export async function chooseLanguage(next: Language): Promise<void> {
  showLanguage(next, true);
  if (!state.me) return;
  await saveSettings({ language: languageTag(next) });
}

export function toggleLanguage(): Promise<void> {
  return chooseLanguage(language.value === 'zh' ? 'en' : 'zh');
}
