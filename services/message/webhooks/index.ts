export { IncomingWebhooks, MAX_WEBHOOKS_PER_GROUP, WEBHOOK_MESSAGE_KIND } from './incoming.ts';
export { OutgoingWebhooks } from './outgoing.ts';
export { OutgoingDeliveries } from './outgoing-deliveries.ts';
export { outgoingWebhookRoutes } from './outgoing-routes.ts';
export { OutgoingWebhookStore } from './outgoing-store.ts';
export { webhookRoutes } from './routes.ts';
export { verifyDelivery } from './signature.ts';
export { WebhookStore } from './store.ts';
