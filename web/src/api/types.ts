/**
 * The parts of the AnyChat API this client uses: REST data (inside the `{code, message, data}`
 * envelope) and WebSocket frames. Written for the browser (the server's zod schemas in
 * services/gateway/protocol would pull server code into the bundle); test/web checks them against
 * a running platform.
 */

/** `system`: the user's read-only conversation of platform notices (`n_<user id>`). */
export type SessionType = 'single' | 'group' | 'system';

export interface AuthTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  userId: string;
}

export interface Profile {
  userId: string;
  nickname: string;
  avatar: string | null;
  signature: string | null;
}

export interface Me extends Profile {
  account: string;
}

export interface Friend extends Profile {
  remark: string | null;
  /** My category of this friend; null: the default one. */
  categoryId: string | null;
  online: boolean;
  deleted: boolean;
}

export interface FriendRequest {
  requestId: string;
  fromUserId: string;
  toUserId: string;
  user: Profile | null;
  message: string | null;
  status: 'pending' | 'accepted' | 'rejected' | 'expired';
  createdAt: string;
}

export interface Conversation {
  sessionId: string;
  sessionType: SessionType;
  targetId: string;
  name: string | null;
  avatar: string | null;
  lastMessage: {
    messageId: string;
    senderId: string;
    contentType: string;
    preview: string;
    seq: number;
    timestamp: string;
    recalled: boolean;
  } | null;
  unreadCount: number;
  mentionUnread: number;
  readSeq: number;
  isPinned: boolean;
  isMuted: boolean;
  deleted: boolean;
  updatedAt: string;
}

export interface Group {
  groupId: string;
  name: string;
  memberCount: number;
  ownerId: string | null;
}

export interface GroupMember {
  userId: string;
  nickname: string;
  groupNickname: string | null;
  role: 'owner' | 'admin' | 'member';
}

export interface GroupInvitation {
  groupId: string;
  group: { name: string; memberCount: number };
  inviter: { userId: string; nickname: string };
}

/** Image content as the server stores a sent file id (message service, fileContent). */
export interface ImageContent {
  fileId: string;
  fileName?: string;
  width?: number;
  height?: number;
  hasThumbnail?: boolean;
  thumbnailUrl?: string;
}

export interface QuoteContent {
  text: string;
  quote: { messageId: string; senderId?: string; preview?: string };
}

export interface Message {
  messageId: string;
  sessionId: string;
  sessionType: string;
  senderId: string;
  senderName: string | null;
  targetId: string;
  clientMsgId: string;
  contentType: string;
  /** A bare string for `text`; an object for the other types; null once recalled. */
  content: unknown;
  mentions: string[];
  recalled: boolean;
  seq: number;
  timestamp: number;
  status?: 'sent' | 'delivered' | 'read' | null;
}

export interface UploadedFile {
  fileId: string;
  fileName: string;
  mimeType: string;
  url: string;
  thumbnail: string | null;
}

// WebSocket frames (server → client) this client acts on.
export type ServerFrame =
  | {
      type: 'CONNECT_ACK';
      data: { userId: string; deviceId: string; heartbeatInterval: number; syncSeq: number };
    }
  | { type: 'CONNECT_ERROR'; data: { status: number; code: number; message: string; retryAfterMs?: number } }
  | { type: 'PONG' }
  | {
      type: 'SEND_ACK';
      msgId: string;
      data: { messageId: string; sessionId: string; seq: number; syncSeq: number; timestamp: number };
    }
  | { type: 'NEW_MESSAGE'; data: Message & { syncSeq: number } }
  | {
      type: 'MESSAGE_READ';
      data: { sessionId: string; userId: string; readSeq: number; syncSeq: number };
    }
  | {
      type: 'GROUP_MESSAGE_READ';
      data: { sessionId: string; messageId: string; readCount: number; syncSeq: number };
    }
  | {
      type: 'MESSAGE_RECALLED';
      data: { messageId: string; sessionId: string; seq: number; syncSeq: number };
    }
  | { type: 'NOTIFICATION'; data: { syncSeq: number; kind: string; payload: Record<string, unknown> } }
  | { type: 'SYNC_COMPLETE'; data: { syncSeq: number } }
  | { type: 'USER_TYPING'; data: { userId: string; sessionId: string; expiresIn: number } }
  | { type: 'USER_ONLINE'; data: { userId: string } }
  | { type: 'USER_OFFLINE'; data: { userId: string } }
  | { type: 'FORCE_LOGOUT'; data: { reason: string; message: string } }
  | { type: 'RECONNECT'; data: { reason: string; reconnectAfterMs: number } }
  | { type: 'ERROR'; msgId?: string; data: { code: number; message: string } };

/** A message on its way: what SEND_MESSAGE carries, kept until its SEND_ACK. */
export interface OutgoingMessage {
  clientMsgId: string;
  sessionId: string;
  sessionType: SessionType;
  targetId: string;
  contentType: string;
  content: unknown;
  mentions?: string[];
  createdAt: number;
}
