import { z } from 'zod';
import { SYSTEM_MESSAGE_TEXT_MAX } from '../../platform/contracts/index.ts';
import { defineRoute } from '../../platform/http/routes.ts';
import { rateLimit } from '../../platform/security/rate-limit.ts';
import { schemas } from '../../platform/validation.ts';
import type { IncomingWebhooks } from './incoming.ts';

const tags = ['webhook'];

const GroupParams = z.object({ groupId: schemas.id });
const WebhookParams = GroupParams.extend({ webhookId: schemas.id });
const WebhookDto = z.object({
  webhookId: z.string(),
  groupId: z.string(),
  name: z.string(),
  createdBy: z.string(),
  createdAt: z.number().int(),
  lastUsedAt: z.number().int().nullable(),
});
const PostParams = z.object({
  webhookId: schemas.id,
  secret: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be the secret of the webhook URL'),
});
const PostBody = z.object({
  text: schemas.body(SYSTEM_MESSAGE_TEXT_MAX).pipe(z.string().trim().min(1, 'must not be empty')),
  idempotencyKey: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits and _ . : - only, at most 64')
    .optional()
    .describe('a retried post with the same key is stored once'),
});

export function webhookRoutes(webhooks: IncomingWebhooks, rateLimitFactor: number) {
  // Per webhook, per instance: a leaked or looping sender cannot flood a group.
  const postLimit = rateLimit('webhook-post', {
    limit: Math.max(1, Math.round(30 * rateLimitFactor)),
    windowMs: 60_000,
    key: (ctx) => `webhook:${ctx.params.webhookId ?? ctx.ip}`,
  });
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/messages/groups/:groupId/webhooks',
      summary:
        "Make an incoming webhook for a group (owner or admin); the answer's path holds its secret, shown once",
      tags,
      access: 'user',
      params: GroupParams,
      body: z.object({ name: schemas.name(64).pipe(z.string().min(1, 'must not be empty')) }),
      response: WebhookDto.extend({ path: z.string().describe('POST here to post into the group') }),
      handler: ({ principal, params, body }) => webhooks.create(principal.userId, params.groupId, body.name),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/messages/groups/:groupId/webhooks',
      summary: "A group's incoming webhooks (owner or admin; secrets are never shown again)",
      tags,
      access: 'user',
      params: GroupParams,
      response: z.object({ webhooks: z.array(WebhookDto) }),
      handler: async ({ principal, params }) => ({
        webhooks: await webhooks.list(principal.userId, params.groupId),
      }),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/messages/groups/:groupId/webhooks/:webhookId',
      summary: 'Delete an incoming webhook (owner or admin): its URL stops working at once',
      tags,
      access: 'user',
      params: WebhookParams,
      response: z.null(),
      handler: async ({ principal, params }) => {
        await webhooks.revoke(principal.userId, params.groupId, params.webhookId);
        return null;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/messages/hooks/:webhookId/:secret',
      summary: "Post text into the webhook's group (the secret URL is the credential)",
      tags,
      access: 'public',
      middleware: [postLimit],
      params: PostParams,
      body: PostBody,
      response: z.object({ messageId: z.string(), sessionId: z.string(), seq: z.number().int() }),
      handler: ({ params, body }) =>
        webhooks.post(params.webhookId, params.secret, body.text, body.idempotencyKey),
    }),
  ];
}
