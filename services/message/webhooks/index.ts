export { IncomingWebhooks, MAX_WEBHOOKS_PER_GROUP, WEBHOOK_MESSAGE_KIND } from './incoming.ts';
export { webhookRoutes } from './routes.ts';
export { WebhookStore } from './store.ts';
