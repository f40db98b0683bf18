import { z } from 'zod';
import { defineRoute } from '../../platform/http/routes.ts';
import { rateLimit } from '../../platform/security/rate-limit.ts';
import { schemas } from '../../platform/validation.ts';
import type { OutgoingWebhooks } from './outgoing.ts';
import type { OutgoingTarget } from './outgoing-store.ts';

const tags = ['webhook'];

const GroupParams = z.object({ groupId: schemas.id });
const BotParams = z.object({ botId: schemas.id });
const WebhookDto = z.object({
  webhookId: z.string(),
  groupId: z.string().nullable(),
  botId: z.string().nullable(),
  url: z.string(),
  createdBy: z.string(),
  createdAt: z.number().int(),
});
const CreateBody = z.object({
  url: schemas
    .url(2048)
    .describe(
      'http(s); public addresses only unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES is true (50136 otherwise)',
    ),
});
const Created = WebhookDto.extend({
  secret: z.string().describe('signs every delivery (X-AnyChat-Signature); shown this once'),
});

/** One set of routes per kind of target: a group (its owner and admins) or a bot (its owner). */
function targetRoutes<P extends Record<string, string>>(
  webhooks: OutgoingWebhooks,
  kind: {
    base: string;
    params: z.ZodObject & z.ZodType<P>;
    who: string;
    target: (params: P) => OutgoingTarget;
  },
  createLimit: ReturnType<typeof rateLimit>,
) {
  const WithId = kind.params.extend({ webhookId: schemas.id }) as unknown as z.ZodType<
    P & { webhookId: string }
  >;
  return [
    defineRoute({
      method: 'post',
      path: kind.base,
      summary: `Register an outgoing webhook (${kind.who}); its signing secret is in this answer only`,
      tags,
      access: 'user',
      middleware: [createLimit],
      params: kind.params,
      body: CreateBody,
      response: Created,
      handler: ({ principal, params, body }) =>
        webhooks.create(principal.userId, kind.target(params), body.url),
    }),
    defineRoute({
      method: 'get',
      path: kind.base,
      summary: `Outgoing webhooks (${kind.who}; secrets are never shown again)`,
      tags,
      access: 'user',
      params: kind.params,
      response: z.object({ webhooks: z.array(WebhookDto) }),
      handler: async ({ principal, params }) => ({
        webhooks: await webhooks.list(principal.userId, kind.target(params)),
      }),
    }),
    defineRoute({
      method: 'delete',
      path: `${kind.base}/:webhookId`,
      summary: `Delete an outgoing webhook (${kind.who}): nothing more is delivered to it`,
      tags,
      access: 'user',
      params: WithId,
      response: z.null(),
      handler: async ({ principal, params }) => {
        await webhooks.revoke(principal.userId, kind.target(params), params.webhookId);
        return null;
      },
    }),
  ];
}

export function outgoingWebhookRoutes(webhooks: OutgoingWebhooks, rateLimitFactor: number) {
  // Registering checks the URL's addresses (a DNS lookup): bounded per user.
  const createLimit = rateLimit('outgoing-webhook-create', {
    limit: Math.max(1, Math.round(20 * rateLimitFactor)),
    windowMs: 60_000,
    key: (ctx) =>
      `outgoing-webhook:${(ctx.state as { principal?: { userId: string } }).principal?.userId ?? ctx.ip}`,
  });
  return [
    ...targetRoutes(
      webhooks,
      {
        base: '/api/v1/messages/groups/:groupId/outgoing-webhooks',
        params: GroupParams,
        who: "the group's owner or an admin; every new message of the group is delivered",
        target: (params) => ({ groupId: params.groupId }),
      },
      createLimit,
    ),
    ...targetRoutes(
      webhooks,
      {
        base: '/api/v1/messages/bots/:botId/outgoing-webhooks',
        params: BotParams,
        who: "the bot's owner; one-to-one messages to the bot and group messages that @mention it are delivered",
        target: (params) => ({ botId: params.botId }),
      },
      createLimit,
    ),
  ];
}
