import { z } from 'zod';
import { defineRoute } from '../platform/http/routes.ts';
import { schemas } from '../platform/validation.ts';
import type { MessageReads } from './clients/messages.ts';

const ReadsParams = z.object({ id: schemas.id, msgId: schemas.id });
const ReadsDto = z.object({
  readCount: z.number().int(),
  unreadCount: z.number().int(),
  readMembers: z.array(z.object({ userId: z.string(), nickname: z.string().nullable(), readAt: z.string() })),
});

/**
 * Read receipts of a group message at the seed API's path, under /groups (where ingresses send
 * group paths); the message service, which holds the reads, answers through the contract. The
 * same answer as GET /api/v1/messages/{msgId}/reads?groupId=.
 */
export function groupReadRoutes(reads: MessageReads) {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/groups/:id/messages/:msgId/reads',
      summary: 'Who of the group read a message (members only; members with read receipts off are not shown)',
      tags: ['group'],
      access: 'user',
      params: ReadsParams,
      response: ReadsDto,
      handler: ({ principal, params }) => reads.of(principal.userId, params.id, params.msgId),
    }),
  ];
}
