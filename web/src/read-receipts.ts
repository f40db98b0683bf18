import { http } from './store.ts';

/** One member who read a group message, as the message service answers `GET /messages/:id/reads`. */
export interface GroupReader {
  userId: string;
  nickname: string | null;
  readAt: string;
}

export interface GroupReads {
  readCount: number;
  unreadCount: number;
  readMembers: GroupReader[];
}

/** Who of the group read one of my messages (the server answers members only). */
export function groupReads(sessionId: string, messageId: string): Promise<GroupReads> {
  const groupId = sessionId.replace(/^g_/, '');
  return http.get<GroupReads>(
    `/api/v1/messages/${encodeURIComponent(messageId)}/reads?groupId=${encodeURIComponent(groupId)}`,
  );
}
