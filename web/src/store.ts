import { reactive } from 'vue';
import { deviceId, Http } from './api/http.ts';
import { ChatSocket, type SocketState } from './api/socket.ts';
import type {
  AuthTokens,
  Conversation,
  Friend,
  FriendRequest,
  GroupInvitation,
  Me,
  Message,
  OutgoingMessage,
  ServerFrame,
  SessionType,
} from './api/types.ts';
import { onCallNotice } from './calls/calls.ts';
import { type Language, language, languageOf, languageTag, setLanguage } from './i18n.ts';
import { type ChatMessage, mergePage, upsertMessage } from './message-list.ts';
import { SyncCursor } from './sync-cursor.ts';

export type { ChatMessage };

const AUTH_KEY = 'anychat.auth';
const TYPING_SEND_INTERVAL_MS = 3000;

export const http = new Http();

export const state = reactive({
  me: null as Me | null,
  connection: 'offline' as SocketState,
  conversations: [] as Conversation[],
  friends: {} as Record<string, Friend>,
  requests: [] as FriendRequest[],
  invitations: [] as GroupInvitation[],
  /** Messages of each conversation loaded so far, in `seq` order (pending ones last). */
  messages: {} as Record<string, ChatMessage[]>,
  hasOlder: {} as Record<string, boolean>,
  activeId: null as string | null,
  /** One-to-one: how far the other side has read my messages. */
  peerReadSeq: {} as Record<string, number>,
  /** Group: how many members read each of my messages. */
  readCounts: {} as Record<string, number>,
  /** Conversations where someone is typing, until when (ms). */
  typingUntil: {} as Record<string, number>,
  now: Date.now(),
});

let socket: ChatSocket | null = null;
let cursor: SyncCursor | null = null;
let lastTypingSent = 0;
const reloads = new Map<string, ReturnType<typeof setTimeout>>();
/** Listeners of group notices: the group panel (groups.ts) refreshes itself from them. */
export const groupNotices = new Set<(kind: string, payload: Record<string, unknown>) => void>();
/** Groups I was removed from, left or saw dismissed (groups.ts keeps it): reading them is not acknowledged, as the server refuses it. */
export const goneGroups = new Set<string>();

export function singleSessionId(a: string, b: string): string {
  return BigInt(a) < BigInt(b) ? `s_${a}_${b}` : `s_${b}_${a}`;
}

export function activeConversation(): Conversation | undefined {
  return state.conversations.find((c) => c.sessionId === state.activeId);
}

/** The screens, and the server's messages to this client, in `next` (`remember`: see setLanguage). */
export function showLanguage(next: Language, remember = false): void {
  setLanguage(next, remember);
  http.language = languageTag(next);
}

export function textOf(message: Pick<Message, 'contentType' | 'content'>): string {
  if (message.contentType === 'text' && typeof message.content === 'string') return message.content;
  if (message.contentType === 'quote') return (message.content as { text?: string } | null)?.text ?? '';
  if (message.contentType === 'system') return (message.content as { text?: string } | null)?.text ?? '';
  return '';
}

// ---- signing in ----

function saveTokens(tokens: AuthTokens | null) {
  if (tokens) localStorage.setItem(AUTH_KEY, JSON.stringify(tokens));
  else {
    localStorage.removeItem(AUTH_KEY);
    signOutLocally();
  }
}
http.onTokens = saveTokens;

export async function register(account: string, password: string, nickname: string): Promise<void> {
  const tokens = await http.call<AuthTokens>('POST', '/api/v1/auth/register', {
    account,
    password,
    ...(nickname ? { nickname } : {}),
    deviceType: 'Web',
    deviceId: deviceId(),
    deviceName: navigator.userAgent.slice(0, 60),
  });
  await signedIn(tokens, true);
}

export async function login(account: string, password: string): Promise<void> {
  const tokens = await http.call<AuthTokens>('POST', '/api/v1/auth/login', {
    account,
    password,
    deviceType: 'Web',
    deviceId: deviceId(),
    deviceName: navigator.userAgent.slice(0, 60),
  });
  await signedIn(tokens);
}

/** An e-mail address or a phone number, as the code routes name them. */
function codeTarget(target: string) {
  return target.includes('@') ? { email: target } : { phoneNumber: target };
}

/** Asks for a sign-in code by e-mail or SMS (the server must have a mail server or SMS gateway). */
export async function sendLoginCode(target: string): Promise<void> {
  await http.call('POST', '/api/v1/auth/verify-code', { ...codeTarget(target), purpose: 'login' });
}

export async function loginWithCode(target: string, verifyCode: string): Promise<void> {
  const tokens = await http.call<AuthTokens>('POST', '/api/v1/auth/login/code', {
    ...codeTarget(target),
    verifyCode,
    deviceType: 'Web',
    deviceId: deviceId(),
    deviceName: navigator.userAgent.slice(0, 60),
  });
  await signedIn(tokens);
}

export async function identityProviders(): Promise<Array<{ id: string; name: string }>> {
  return (await http.get<{ providers: Array<{ id: string; name: string }> }>('/api/v1/auth/oidc/providers'))
    .providers;
}

/** Leaves for the provider's login page; it sends the browser back to /oidc/callback. */
export async function startProviderSignIn(provider: string): Promise<void> {
  const { authorizationUrl } = await http.call<{ authorizationUrl: string }>(
    'POST',
    `/api/v1/auth/oidc/${encodeURIComponent(provider)}/start`,
    { deviceType: 'Web', deviceId: deviceId(), deviceName: navigator.userAgent.slice(0, 60) },
  );
  location.assign(authorizationUrl);
}

/** Back from the provider (/oidc/callback?code&state): our tokens for this device; false elsewhere. */
export async function finishProviderSignIn(): Promise<boolean> {
  if (location.pathname !== '/oidc/callback') return false;
  const query = new URLSearchParams(location.search);
  history.replaceState(null, '', '/');
  const code = query.get('code');
  const stateParam = query.get('state');
  if (!code || !stateParam)
    throw new Error(query.get('error_description') ?? query.get('error') ?? 'sign-in cancelled');
  const iss = query.get('iss');
  const tokens = await http.call<AuthTokens>('POST', '/api/v1/auth/oidc/callback', {
    code,
    state: stateParam,
    ...(iss ? { iss } : {}),
  });
  await signedIn(tokens);
  return true;
}

/** `created`: a new account, which keeps the language it was made in. */
async function signedIn(tokens: AuthTokens, created = false) {
  http.tokens = tokens;
  saveTokens(tokens);
  await bootstrap(created);
}

/** Picks up a saved sign-in (a reload); false when there is none. */
export async function resume(): Promise<boolean> {
  const saved = localStorage.getItem(AUTH_KEY);
  if (!saved) return false;
  http.tokens = JSON.parse(saved) as AuthTokens;
  try {
    await bootstrap();
    return true;
  } catch {
    return state.me !== null;
  }
}

/** Takes the connection back from another tab (which then shows that it is used elsewhere). */
export function useHere(): void {
  socket?.start();
}

export async function logout(): Promise<void> {
  await http.call('POST', '/api/v1/auth/logout', {}).catch(() => {});
  http.tokens = null;
  saveTokens(null);
}

function signOutLocally() {
  socket?.stop();
  socket = null;
  http.tokens = null;
  Object.assign(state, {
    me: null,
    conversations: [],
    friends: {},
    requests: [],
    invitations: [],
    messages: {},
    activeId: null,
    connection: 'offline',
  });
}

async function bootstrap(created = false) {
  const [me, settings] = await Promise.all([
    http.get<Me>('/api/v1/users/me'),
    // Signed in, the account's language setting decides; a new account gets the one it was made in.
    created
      ? http.call<{ language: string }>('PUT', '/api/v1/users/settings', {
          language: languageTag(language.value),
        })
      : http.get<{ language: string }>('/api/v1/users/settings'),
  ]);
  showLanguage(languageOf(settings.language) ?? language.value);
  state.me = me;
  const userId = state.me.userId;
  cursor = new SyncCursor(`anychat.sync.${userId}`);
  await Promise.all([loadConversations(), loadFriends(), loadRequests(), loadInvitations()]);
  socket = new ChatSocket({
    token: () => http.tokens?.accessToken ?? '',
    syncSeq: () => cursor?.position,
    frame: onFrame,
    state: (next) => {
      state.connection = next;
    },
    unauthorized: () => http.refresh(),
    loggedOut: () => saveTokens(null),
  });
  // Messages written while offline before a reload go out again, with their first clientMsgId.
  for (const message of loadOutbox(userId)) {
    addMessage({ ...outgoingToMessage(message), pending: true });
    socket.send(message);
  }
  socket.start();
}

// ---- loading ----

export async function loadConversations(): Promise<void> {
  const { sessions } = await http.get<{ sessions: Conversation[] }>('/api/v1/sessions', { pageSize: 100 });
  state.conversations = sortConversations(sessions.filter((session) => !session.deleted));
}

async function loadFriends() {
  const { friends } = await http.get<{ friends: Friend[] }>('/api/v1/friends', { pageSize: 100 });
  state.friends = Object.fromEntries(friends.filter((f) => !f.deleted).map((f) => [f.userId, f]));
}

async function loadRequests() {
  const { requests } = await http.get<{ requests: FriendRequest[] }>('/api/v1/friends/requests', {
    direction: 'incoming',
    status: 'pending',
  });
  state.requests = requests;
}

async function loadInvitations() {
  const { invitations } = await http.get<{ invitations: GroupInvitation[] }>('/api/v1/groups/invitations');
  state.invitations = invitations;
}

/** Reloads a list after an event, once for a burst of events. */
function reloadSoon(what: string, load: () => Promise<void>) {
  clearTimeout(reloads.get(what));
  reloads.set(
    what,
    setTimeout(() => {
      // Offline, the request could only fail (and the browser would log it): load when back online.
      if (!navigator.onLine) {
        window.addEventListener('online', () => reloadSoon(what, load), { once: true });
        return;
      }
      void load().catch(() => {});
    }, 200),
  );
}

function sortConversations(list: Conversation[]): Conversation[] {
  const at = (c: Conversation) => Number(c.lastMessage?.timestamp ?? 0) || Date.parse(c.updatedAt) || 0;
  return [...list].sort((a, b) => Number(b.isPinned) - Number(a.isPinned) || at(b) - at(a));
}

export async function openConversation(sessionId: string): Promise<void> {
  state.activeId = sessionId;
  const conversation = activeConversation();
  if (!conversation) return;
  // A group I am out of refuses its history (403): nothing is asked of it.
  const gone = conversation.sessionType === 'group' && goneGroups.has(conversation.targetId);
  if (!state.messages[sessionId] && !gone) await loadHistory(conversation);
  markRead(conversation);
}

export async function loadHistory(conversation: Conversation, older = false): Promise<void> {
  const list = state.messages[conversation.sessionId] ?? [];
  const oldest = list.find((m) => m.seq > 0)?.seq;
  const { messages, hasMore } = await http.get<{ messages: Message[]; hasMore: boolean }>(
    '/api/v1/messages/history',
    {
      sessionId: conversation.sessionId,
      sessionType: conversation.sessionType,
      limit: 100,
      ...(older && oldest ? { startSeq: oldest, direction: 'backward' } : {}),
    },
  );
  state.messages[conversation.sessionId] = mergePage(state.messages[conversation.sessionId] ?? [], messages);
  for (const message of messages)
    if (message.status === 'read' && message.senderId === state.me?.userId)
      bumpPeerRead(conversation.sessionId, message.seq);
  state.hasOlder[conversation.sessionId] = hasMore;
}

function markRead(conversation: Conversation) {
  if (document.visibilityState !== 'visible') return;
  if (conversation.unreadCount === 0 && conversation.mentionUnread === 0) return;
  if (conversation.sessionType === 'group' && goneGroups.has(conversation.targetId)) return;
  conversation.unreadCount = 0;
  conversation.mentionUnread = 0;
  void http
    .call('POST', '/api/v1/messages/ack', {
      sessionId: conversation.sessionId,
      sessionType: conversation.sessionType,
    })
    .catch(() => {});
}

// ---- messages ----

function addMessage(message: ChatMessage): boolean {
  state.messages[message.sessionId] ??= [];
  return upsertMessage(state.messages[message.sessionId]!, message);
}

function outgoingToMessage(message: OutgoingMessage): ChatMessage {
  return {
    messageId: '',
    sessionId: message.sessionId,
    sessionType: message.sessionType,
    senderId: state.me!.userId,
    senderName: state.me!.nickname,
    targetId: message.targetId,
    clientMsgId: message.clientMsgId,
    contentType: message.contentType,
    content: message.content,
    mentions: message.mentions ?? [],
    recalled: false,
    seq: 0,
    timestamp: message.createdAt,
  };
}

function outboxKey(userId: string) {
  return `anychat.outbox.${userId}`;
}
function loadOutbox(userId: string): OutgoingMessage[] {
  try {
    return JSON.parse(localStorage.getItem(outboxKey(userId)) ?? '[]') as OutgoingMessage[];
  } catch {
    return [];
  }
}
function saveOutbox() {
  if (socket && state.me) localStorage.setItem(outboxKey(state.me.userId), JSON.stringify(socket.pending()));
}

export function send(
  conversation: Conversation,
  contentType: string,
  content: unknown,
  mentions: string[] = [],
): ChatMessage {
  const message: OutgoingMessage = {
    clientMsgId: crypto.randomUUID(),
    sessionId: conversation.sessionId,
    sessionType: conversation.sessionType,
    targetId: conversation.targetId,
    contentType,
    content,
    mentions,
    createdAt: Date.now(),
  };
  const shown: ChatMessage = { ...outgoingToMessage(message), pending: true };
  addMessage(shown);
  socket?.send(message);
  saveOutbox();
  return shown;
}

/** What an upload sends: its content type, the file kind it is stored as, what shows meanwhile. */
export interface UploadSpec {
  contentType: string;
  kind: string;
  /** Content shown while uploading (a file's name and size); the message carries the file id alone. */
  content?: Record<string, unknown>;
  localUrl?: string;
  clientMsgId?: string;
}

/** Uploads an image with progress (a local preview meanwhile), then sends it by file id. */
export function sendImage(conversation: Conversation, file: File): Promise<void> {
  return sendUpload(conversation, file, {
    contentType: 'image',
    kind: 'chat_image',
    localUrl: URL.createObjectURL(file),
  });
}

/** Uploads a file with progress, then sends it as a message of `spec.contentType` by file id. */
export async function sendUpload(conversation: Conversation, file: File, spec: UploadSpec): Promise<void> {
  const clientMsgId = spec.clientMsgId ?? crypto.randomUUID();
  const placeholder: ChatMessage = {
    ...outgoingToMessage({
      clientMsgId,
      sessionId: conversation.sessionId,
      sessionType: conversation.sessionType,
      targetId: conversation.targetId,
      contentType: spec.contentType,
      content: spec.content ?? {},
      createdAt: Date.now(),
    }),
    pending: true,
    ...(spec.localUrl ? { localUrl: spec.localUrl } : {}),
    progress: 0,
  };
  addMessage(placeholder);
  // Looked up each time: a page of history loaded meanwhile replaces the list.
  const shown = () => state.messages[conversation.sessionId]?.find((m) => m.clientMsgId === clientMsgId);
  try {
    const uploaded = await http.upload<{ fileId: string }>(file, spec.kind, (fraction) => {
      const message = shown();
      if (message) message.progress = fraction;
    });
    const message: OutgoingMessage = {
      clientMsgId,
      sessionId: conversation.sessionId,
      sessionType: conversation.sessionType,
      targetId: conversation.targetId,
      contentType: spec.contentType,
      content: { fileId: uploaded.fileId },
      createdAt: Date.now(),
    };
    const current = shown();
    if (current) current.content = message.content;
    socket?.send(message);
    saveOutbox();
  } catch (error) {
    const current = shown();
    if (current) current.failed = (error as Error).message;
  }
}

export async function recall(message: ChatMessage): Promise<void> {
  await http.call('POST', `/api/v1/messages/${message.messageId}/recall`);
  message.recalled = true;
  message.content = null;
}

export function typing(conversation: Conversation): void {
  if (conversation.sessionType !== 'single' || Date.now() - lastTypingSent < TYPING_SEND_INTERVAL_MS) return;
  lastTypingSent = Date.now();
  socket?.typing(conversation.sessionId);
}

function bumpPeerRead(sessionId: string, seq: number) {
  state.peerReadSeq[sessionId] = Math.max(state.peerReadSeq[sessionId] ?? 0, seq);
}

function onNewMessage(message: Message) {
  const isNew = addMessage(message);
  const conversation = state.conversations.find((c) => c.sessionId === message.sessionId);
  if (!conversation) {
    reloadSoon('conversations', loadConversations);
    return;
  }
  if (!isNew || message.seq <= (conversation.lastMessage?.seq ?? 0)) return;
  conversation.lastMessage = {
    messageId: message.messageId,
    senderId: message.senderId,
    contentType: message.contentType,
    preview: textOf(message),
    seq: message.seq,
    timestamp: String(message.timestamp),
    recalled: message.recalled,
  };
  const mine = message.senderId === state.me?.userId;
  if (!mine) {
    conversation.unreadCount++;
    if (message.mentions.includes(state.me?.userId ?? '')) conversation.mentionUnread++;
    delete state.typingUntil[message.sessionId];
  }
  state.conversations = sortConversations(state.conversations);
  if (state.activeId === conversation.sessionId) markRead(conversation);
}

function onFrame(frame: ServerFrame) {
  switch (frame.type) {
    case 'CONNECT_ACK':
      // A device seen for the first time starts from now: what came before was loaded over REST.
      cursor?.startAt(frame.data.syncSeq);
      return;
    case 'SEND_ACK': {
      const pending = socket?.pending().find((m) => m.clientMsgId === frame.msgId);
      socket?.settle(frame.msgId);
      saveOutbox();
      if (pending) {
        const list = state.messages[pending.sessionId] ?? [];
        const index = list.findIndex((m) => m.clientMsgId === frame.msgId && m.pending);
        if (index >= 0) {
          const [shown] = list.splice(index, 1);
          onNewMessage({
            ...shown!,
            ...frame.data,
            content: pending.content,
            pending: false,
          } as ChatMessage);
        }
      }
      cursor?.took(frame.data.syncSeq);
      return;
    }
    case 'ERROR': {
      if (!frame.msgId) return;
      const pending = socket?.pending().find((m) => m.clientMsgId === frame.msgId);
      if (!pending) return;
      socket?.settle(frame.msgId);
      saveOutbox();
      const shown = state.messages[pending.sessionId]?.find((m) => m.clientMsgId === frame.msgId);
      if (shown) shown.failed = frame.data.message;
      return;
    }
    case 'NEW_MESSAGE':
      onNewMessage(frame.data);
      if (frame.data.syncSeq > 0) cursor?.took(frame.data.syncSeq);
      return;
    case 'MESSAGE_READ':
      if (frame.data.userId !== state.me?.userId) bumpPeerRead(frame.data.sessionId, frame.data.readSeq);
      else reloadSoon('conversations', loadConversations);
      cursor?.took(frame.data.syncSeq);
      return;
    case 'GROUP_MESSAGE_READ':
      state.readCounts[frame.data.messageId] = frame.data.readCount;
      cursor?.took(frame.data.syncSeq);
      return;
    case 'MESSAGE_RECALLED': {
      const shown = state.messages[frame.data.sessionId]?.find((m) => m.messageId === frame.data.messageId);
      if (shown) {
        shown.recalled = true;
        shown.content = null;
      }
      reloadSoon('conversations', loadConversations);
      cursor?.took(frame.data.syncSeq);
      return;
    }
    case 'NOTIFICATION': {
      const kind = frame.data.kind;
      if (kind.startsWith('friend.')) {
        reloadSoon('friends', loadFriends);
        reloadSoon('requests', loadRequests);
        reloadSoon('conversations', loadConversations);
      } else if (kind.startsWith('group.')) {
        reloadSoon('invitations', loadInvitations);
        reloadSoon('conversations', loadConversations);
        for (const listener of groupNotices) listener(kind, frame.data.payload);
      } else if (kind.startsWith('session.')) reloadSoon('conversations', loadConversations);
      else if (kind.startsWith('call.')) onCallNotice(kind, frame.data.payload);
      cursor?.took(frame.data.syncSeq);
      return;
    }
    case 'SYNC_COMPLETE':
      cursor?.replayedTo(frame.data.syncSeq);
      return;
    case 'USER_TYPING':
      state.typingUntil[frame.data.sessionId] = Date.now() + frame.data.expiresIn * 1000;
      return;
    case 'USER_ONLINE':
    case 'USER_OFFLINE': {
      const friend = state.friends[frame.data.userId];
      if (friend) friend.online = frame.type === 'USER_ONLINE';
      return;
    }
  }
}

setInterval(() => {
  state.now = Date.now();
}, 1000);

// ---- people and groups ----

export async function searchUsers(keyword: string) {
  const { users } = await http.get<{ users: Array<{ userId: string; nickname: string }> }>(
    '/api/v1/users/search',
    { keyword },
  );
  return users;
}

export async function requestFriend(userId: string): Promise<void> {
  await http.call('POST', '/api/v1/friends/requests', { userId, source: 'search' });
}

export async function acceptRequest(requestId: string): Promise<void> {
  await http.call('PUT', `/api/v1/friends/requests/${requestId}`, { action: 'accept' });
  state.requests = state.requests.filter((r) => r.requestId !== requestId);
  await loadFriends();
}

/** The conversation with a friend or group, created when there is none yet, and opened. */
export async function startConversation(sessionType: SessionType, targetId: string): Promise<void> {
  const conversation = await http.call<Conversation>('POST', '/api/v1/sessions', { sessionType, targetId });
  if (!state.conversations.some((c) => c.sessionId === conversation.sessionId))
    state.conversations = sortConversations([conversation, ...state.conversations]);
  await openConversation(conversation.sessionId);
}

export async function createGroup(name: string, memberIds: string[]): Promise<void> {
  const group = await http.call<{ groupId: string }>('POST', '/api/v1/groups', { name, memberIds });
  // A group's conversation is made by the server when the group is (members' lists get it by event).
  const sessionId = `g_${group.groupId}`;
  for (let attempt = 0; attempt < 20; attempt++) {
    await loadConversations();
    if (state.conversations.some((c) => c.sessionId === sessionId)) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await openConversation(sessionId);
}

export async function acceptInvitation(groupId: string): Promise<void> {
  await http.call('PUT', `/api/v1/groups/${groupId}/invitation`, { action: 'accept' });
  state.invitations = state.invitations.filter((i) => i.groupId !== groupId);
  await loadConversations();
}

/** A group's first 100 members and how many it has in all. */
export function groupMembers(groupId: string) {
  return http.get<{
    total: number;
    members: Array<{ userId: string; nickname: string; groupNickname: string | null }>;
  }>(`/api/v1/groups/${groupId}/members`, { pageSize: 100 });
}

const signedUrls = new Map<string, { url: string; expiresAt: number }>();

/** A signed URL of a file or its thumbnail, kept until shortly before it expires. */
export async function fileUrl(fileId: string, thumbnail: boolean): Promise<string> {
  const key = `${fileId}:${thumbnail}`;
  const cached = signedUrls.get(key);
  if (cached && cached.expiresAt - 60_000 > Date.now()) return cached.url;
  const { url, urlExpiresAt } = await http.get<{ url: string; urlExpiresAt: string }>(
    `/api/v1/files/${fileId}${thumbnail ? '/thumbnail' : ''}`,
  );
  signedUrls.set(key, { url, expiresAt: Date.parse(urlExpiresAt) });
  return url;
}
