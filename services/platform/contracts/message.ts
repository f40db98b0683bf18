/** Conversations and ids of the message service (its contract: proto/anychat/message/v1; its events: events.ts). */

/** Whose conversation: one-to-one, a group's, or a user's system notices. */
export type SessionType = 'single' | 'group' | 'system';

/** A one-to-one conversation's id is the same for both users: `s_<smaller id>_<larger id>`. */
export function singleSessionId(userA: string, userB: string): string {
  const [low, high] = BigInt(userA) < BigInt(userB) ? [userA, userB] : [userB, userA];
  return `s_${low}_${high}`;
}

export const groupSessionId = (groupId: string) => `g_${groupId}`;

/**
 * A user's system conversation (`n_<user id>`): the platform's notices to them (new sign-ins,
 * group invitations, announcements), listed with the others, read by its owner only, never
 * replied to.
 */
export const systemSessionId = (userId: string) => `n_${userId}`;

/** The owner of a system conversation; undefined for any other session id. */
export const systemSessionOwner = (sessionId: string): string | undefined =>
  /^n_([0-9]+)$/.exec(sessionId)?.[1];

/** The two users of a one-to-one conversation; undefined for any other session id. */
export function singleSessionUsers(sessionId: string): [string, string] | undefined {
  const match = /^s_([0-9]+)_([0-9]+)$/.exec(sessionId);
  return match ? [match[1]!, match[2]!] : undefined;
}

/** The other user of a one-to-one conversation, or undefined when `userId` is not in it. */
export function peerOf(sessionId: string, userId: string): string | undefined {
  const users = singleSessionUsers(sessionId);
  if (users?.[0] === userId) return users[1];
  if (users?.[1] === userId) return users[0];
  return undefined;
}

export const SESSION_ID_PATTERN = /^(s_[1-9][0-9]{0,18}_[1-9][0-9]{0,18}|[gn]_[1-9][0-9]{0,18})$/;

/** Longest `text` of a system message request: a longer one is dropped as malformed, so producers summarize. */
export const SYSTEM_MESSAGE_TEXT_MAX = 1000;

/** Sender id of system messages (group notices): no user has it. */
export const SYSTEM_SENDER = '0';

/** Most read fan-out groups a device names its positions in (connect query, offline pull). */
export const MAX_GROUP_SEQS = 500;

/**
 * A device's positions in its read fan-out groups' streams, as it names them at connect
 * (`groupSeqs=g_1:40,g_2:7`) and in the offline pull: the seq of the last message it took of each
 * group. Undefined for text that is not that list (or longer than MAX_GROUP_SEQS).
 */
export function parseGroupSeqs(text: string): Map<string, number> | undefined {
  const seqs = new Map<string, number>();
  if (text === '') return seqs;
  const entries = text.split(',');
  if (entries.length > MAX_GROUP_SEQS) return undefined;
  for (const entry of entries) {
    const match = /^(g_[1-9][0-9]{0,18}):([0-9]{1,15})$/.exec(entry);
    if (!match) return undefined;
    seqs.set(match[1]!, Number(match[2]));
  }
  return seqs;
}

/** Stored in a message's `mentions` (and sent in its frames) for @all. */
export const MENTION_ALL = 'all';

/**
 * A message's short line for conversation lists and notifications (`message.created`'s preview):
 * the message service makes it when it stores a message, the push service from a timeline frame.
 */
export function previewOf(contentType: string, content: unknown): string {
  const c = (content ?? {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  switch (contentType) {
    case 'text':
      return [...text(content)].slice(0, 60).join('');
    case 'quote':
      return [...text(c.text)].slice(0, 60).join('');
    case 'file':
      return `[file] ${text(c.fileName)}`;
    case 'location':
      return `[location] ${text(c.name)}`.trim();
    case 'merged':
      return `[chat history] ${text(c.title)}`;
    default:
      return `[${contentType}]`;
  }
}
