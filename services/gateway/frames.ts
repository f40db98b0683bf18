import { z } from 'zod';
import { SESSION_ID_PATTERN } from '../platform/contracts/index.ts';
import { schemas } from '../platform/validation.ts';

/** Frames a client may send (seed §5.4); every one is validated before anything acts on it. */

const msgId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only');
const id = schemas.id;
const syncSeq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const ClientFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('PING'), msgId: msgId.optional(), timestamp: z.number().optional() }),
  z.object({
    type: z.literal('SEND_MESSAGE'),
    msgId,
    data: z.object({
      sessionType: z.enum(['single', 'group']),
      targetId: id,
      contentType: z.string().min(1).max(20),
      content: z.unknown(),
      mentions: z.array(id).max(200).optional(),
      mentionAll: z.boolean().optional(),
    }),
  }),
  z.object({
    type: z.literal('MESSAGE_ACK'),
    msgId: msgId.optional(),
    messageIds: z.array(id).min(1).max(500),
  }),
  z.object({
    type: z.literal('TYPING'),
    msgId: msgId.optional(),
    data: z.object({
      sessionId: z.string().regex(SESSION_ID_PATTERN),
      sessionType: z.enum(['single', 'group']),
    }),
  }),
  z.object({ type: z.literal('SYNC'), msgId: msgId.optional(), data: z.object({ syncSeq }) }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

export const FRAME_TYPES = ['PING', 'SEND_MESSAGE', 'MESSAGE_ACK', 'TYPING', 'SYNC'] as const;

/** Why a token was refused, as FORCE_LOGOUT reasons (seed §5.4.5). */
export const LOGOUT_REASONS: Record<string, string> = {
  replaced: 'multi_login',
  kicked: 'kicked',
  account_blocked: 'account_banned',
  logout: 'logout',
  password_changed: 'password_changed',
  password_reset: 'password_changed',
  token_reuse: 'security',
  admin_kick: 'admin_kick',
  account_deleted: 'account_deleted',
};
