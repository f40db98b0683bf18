import { reactive, watch } from 'vue';
import { ApiError } from './api/http.ts';
import { fileUrl, goneGroups, groupNotices, http, loadConversations, state } from './store.ts';

/**
 * Group management for the group panel: the open group's info, members, join requests and QR code,
 * the calls of the group API (services/group/routes.ts) that change them, and the reload that group
 * notices arriving over the WebSocket cause.
 */

export type GroupRole = 'owner' | 'admin' | 'member';

export interface GroupSettings {
  allMuted: boolean;
  memberInvite: boolean;
  joinVerify: boolean;
  historyVisible: boolean;
  memberAddFriend: boolean;
}
export const SETTING_KEYS = [
  'allMuted',
  'joinVerify',
  'memberInvite',
  'historyVisible',
  'memberAddFriend',
] as const satisfies ReadonlyArray<keyof GroupSettings>;

/** GET /groups/:id: members see everything; others the public part (member-only fields null). */
export interface GroupInfo {
  groupId: string;
  name: string;
  avatar: string | null;
  memberCount: number;
  maxMembers: number;
  joinVerify: boolean;
  dismissed: boolean;
  isMember: boolean;
  ownerId: string | null;
  announcement: string | null;
  announcementUpdatedAt: string | null;
  settings: GroupSettings | null;
  me: { role: GroupRole; groupNickname: string | null; isMuted: boolean; mutedUntil: string | null } | null;
}

export interface GroupMemberRow {
  userId: string;
  nickname: string;
  avatar: string | null;
  kind: 'user' | 'bot';
  groupNickname: string | null;
  role: GroupRole;
  isMuted: boolean;
  mutedUntil: string | null;
}

export interface JoinRequest {
  requestId: string;
  user: { userId: string; nickname: string; avatar: string | null };
  message: string | null;
  createdAt: string;
}

export interface GroupQr {
  code: string;
  url: string;
  expiresAt: string;
}

export interface AddOutcome {
  successIds: string[];
  invitedIds: string[];
  failedIds: string[];
}

export const panel = reactive({
  groupId: null as string | null,
  info: null as GroupInfo | null,
  members: [] as GroupMemberRow[],
  requests: [] as JoinRequest[],
  qr: null as GroupQr | null,
  /** A signed URL of the avatar when it is an upload (GET /api/v1/files/:id); null otherwise. */
  avatarUrl: null as string | null,
  error: '',
});

/** Bumped by each load, so that an answer for a group no longer shown (or an older load) is dropped. */
let generation = 0;
let reloadTimer: ReturnType<typeof setTimeout> | undefined;

export function myRole(): GroupRole | null {
  return panel.info?.isMember && !panel.info.dismissed ? (panel.info.me?.role ?? null) : null;
}

/** Owner and admins act on plain members; only the owner on admins; nobody on the owner or on themselves. */
export function mayManage(member: GroupMemberRow): boolean {
  const role = myRole();
  if (!role || role === 'member' || member.userId === state.me?.userId || member.role === 'owner')
    return false;
  return role === 'owner' || member.role === 'member';
}

/** Who may invite and see the QR code: the owner and admins, plain members while member invites are on. */
export function mayInvite(): boolean {
  const role = myRole();
  return role !== null && (role !== 'member' || panel.info?.settings?.memberInvite === true);
}

export function openGroup(groupId: string): Promise<void> {
  if (panel.groupId !== groupId)
    Object.assign(panel, {
      groupId,
      info: null,
      members: [],
      requests: [],
      qr: null,
      avatarUrl: null,
      error: '',
    });
  return reload();
}

export function closeGroup(): void {
  generation++;
  panel.groupId = null;
}

/** Loads what the viewer may see, asking only what the server will answer (a refused call is a console error). */
export async function reload(): Promise<void> {
  const groupId = panel.groupId;
  if (!groupId) return;
  const mine = ++generation;
  const current = () => mine === generation && panel.groupId === groupId;
  const info = await http.get<GroupInfo>(`/api/v1/groups/${groupId}`);
  if (!current()) return;
  panel.info = info;
  const role = myRole();
  const [members, requests, qr, avatarUrl] = await Promise.all([
    role
      ? http
          .get<{ members: GroupMemberRow[] }>(`/api/v1/groups/${groupId}/members`, { pageSize: 500 })
          .then((page) => page.members)
      : [],
    role && role !== 'member'
      ? http
          .get<{ requests: JoinRequest[] }>(`/api/v1/groups/${groupId}/join`, { pageSize: 100 })
          .then((page) => page.requests)
      : [],
    mayInvite()
      ? panel.qr && Date.parse(panel.qr.expiresAt) > Date.now()
        ? panel.qr
        : http.get<GroupQr>(`/api/v1/groups/${groupId}/qrcode`)
      : null,
    avatarOf(info),
  ]);
  if (!current()) return;
  Object.assign(panel, { members, requests, qr, avatarUrl, error: '' });
}

/** Group avatars set from an upload are the file's API route; other URLs are not loaded (the page's CSP). */
async function avatarOf(info: GroupInfo): Promise<string | null> {
  const fileId = info.avatar?.match(/\/api\/v1\/files\/(\d+)$/)?.[1];
  if (!fileId || !info.isMember) return null;
  return fileUrl(fileId, false).catch(() => null);
}

// Which groups I am out of: those my group list says I left, was removed from or saw dismissed, at
// sign-in (and each reload); then the notices (this module is loaded at start: ContactsPanel's
// JoinGroupForm imports it). A member.joined notice goes to members only, me included once I am back.
watch(
  () => state.me?.userId,
  (userId) => {
    goneGroups.clear();
    if (userId) void loadGoneGroups().catch(() => {});
  },
  { immediate: true },
);

async function loadGoneGroups() {
  const { groups } = await http.get<{ groups: Array<{ groupId: string; status: string }> }>(
    '/api/v1/groups',
    {
      lastUpdateTime: 0,
      pageSize: 500,
    },
  );
  for (const group of groups) if (group.status !== 'active') goneGroups.add(group.groupId);
}

groupNotices.add((kind, payload) => {
  const groupId = String(payload.groupId);
  const aboutMe = payload.userId === state.me?.userId;
  if (
    kind === 'group.dismissed' ||
    (aboutMe && (kind === 'group.member.removed' || kind === 'group.member.left'))
  )
    goneGroups.add(groupId);
  else if (kind === 'group.member.joined') goneGroups.delete(groupId);
});

// Group notices (member joined or removed, roles, announcement, settings, join requests) refresh the
// open panel, once for a burst of them.
groupNotices.add((_kind, payload) => {
  if (!panel.groupId || payload.groupId !== panel.groupId) return;
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => {
    if (navigator.onLine) void reload().catch(() => {});
  }, 150);
});

/** Runs a change, then shows the group as it now is; the error, if any, goes to the panel. */
async function change(action: (groupId: string) => Promise<unknown>): Promise<boolean> {
  const groupId = panel.groupId;
  if (!groupId) return false;
  panel.error = '';
  try {
    await action(groupId);
  } catch (error) {
    panel.error = error instanceof ApiError ? error.message : String(error);
    return false;
  }
  await reload().catch(() => {});
  return true;
}

export const updateGroup = (changes: {
  name?: string;
  announcement?: string | null;
  avatarFileId?: string;
}) => change((id) => http.call('PUT', `/api/v1/groups/${id}`, changes));

export const updateSettings = (changes: Partial<GroupSettings>) =>
  change((id) => http.call('PUT', `/api/v1/groups/${id}/settings`, changes));

/** Uploads an image as the group's avatar (type group_avatar names the group), then sets it. */
export const setAvatar = (file: File) =>
  change(async (id) => {
    const { fileId } = await uploadGroupAvatar(id, file);
    await http.call('PUT', `/api/v1/groups/${id}`, { avatarFileId: fileId });
  });

async function uploadGroupAvatar(groupId: string, file: File, retried = false): Promise<{ fileId: string }> {
  const form = new FormData();
  form.append('type', 'group_avatar');
  form.append('groupId', groupId);
  form.append('file', file, file.name);
  const headers: Record<string, string> = { 'Accept-Language': http.language };
  if (http.tokens) headers.Authorization = `Bearer ${http.tokens.accessToken}`;
  const response = await fetch('/api/v1/files/upload', { method: 'POST', headers, body: form });
  if (response.status === 401 && !retried) {
    await http.refresh();
    return uploadGroupAvatar(groupId, file, true);
  }
  const envelope = (await response.json().catch(() => null)) as {
    code: number;
    message: string;
    data: { fileId: string };
  } | null;
  if (!response.ok || envelope?.code !== 0)
    throw new ApiError(response.status, envelope?.code ?? -1, envelope?.message ?? response.statusText);
  return envelope.data;
}

export async function invite(userIds: string[]): Promise<AddOutcome | null> {
  let outcome: AddOutcome | null = null;
  await change(async (id) => {
    outcome = await http.call<AddOutcome>('POST', `/api/v1/groups/${id}/members`, { userIds });
  });
  return outcome;
}

export const removeMember = (userId: string) =>
  change((id) => http.call('DELETE', `/api/v1/groups/${id}/members/${userId}`));

export const setAdmin = (userId: string, admin: boolean) =>
  change((id) =>
    admin
      ? http.call('POST', `/api/v1/groups/${id}/admins`, { userId })
      : http.call('DELETE', `/api/v1/groups/${id}/admins/${userId}`),
  );

export const transferOwnership = (userId: string) =>
  change((id) => http.call('POST', `/api/v1/groups/${id}/transfer`, { userId }));

/** Mutes a member for `seconds` (0 lifts it). */
export const muteMember = (userId: string, seconds: number) =>
  change((id) => http.call('PUT', `/api/v1/groups/${id}/members/${userId}/mute`, { seconds }));

export const handleRequest = (requestId: string, action: 'accept' | 'reject') =>
  change((id) => http.call('PUT', `/api/v1/groups/${id}/join/${requestId}`, { action }));

export const refreshQr = () =>
  change(async (id) => {
    panel.qr = await http.get<GroupQr>(`/api/v1/groups/${id}/qrcode`, { refresh: 'true' });
  });

export const leaveGroup = () =>
  change(async (id) => {
    await http.call('POST', `/api/v1/groups/${id}/exit`);
    await loadConversations();
  });

export const dismissGroup = () =>
  change(async (id) => {
    await http.call('DELETE', `/api/v1/groups/${id}`);
    await loadConversations();
  });

export type JoinStatus = 'pending' | 'joined';

/** Asks to join the open group (a non-member's view of it): a join request where joins are verified. */
export async function askToJoin(message: string): Promise<JoinStatus | null> {
  let status: JoinStatus | null = null;
  await change(async (id) => {
    ({ status } = await http.call<{ status: JoinStatus }>('POST', `/api/v1/groups/${id}/join`, {
      message: message || null,
    }));
    if (status === 'joined') await loadConversations();
  });
  return status;
}

// ---- joining by a group's link (what its QR code holds) ----

/** The code in a group link (…/api/v1/groups/qrcode/CODE, as GET /groups/:id/qrcode gives it) or a bare code. */
export function codeOfLink(link: string): string | null {
  const text = link.trim();
  if (/^[A-Za-z0-9_-]{1,64}$/.test(text)) return text;
  return /\/groups\/qrcode\/([A-Za-z0-9_-]{1,64})\/?(?:[?#].*)?$/.exec(text)?.[1] ?? null;
}

/** The group a link leads to, as a non-member sees it. */
export function groupOfCode(code: string): Promise<GroupInfo> {
  return http.get<GroupInfo>(`/api/v1/groups/qrcode/${encodeURIComponent(code)}`);
}

export async function joinByCode(code: string, message: string): Promise<JoinStatus> {
  const { status } = await http.call<{ status: JoinStatus }>('POST', '/api/v1/groups/join-by-qrcode', {
    code,
    message: message || null,
  });
  if (status === 'joined') await loadConversations();
  return status;
}
