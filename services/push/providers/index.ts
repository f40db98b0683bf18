import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { PushConfig } from '../../platform/push-config.ts';
import { ApnsProvider } from './apns.ts';
import { FcmProvider } from './fcm.ts';
import type { PushProvider } from './provider.ts';
import type { VapidKeys } from './vapid.ts';
import { WebPushProvider } from './web-push.ts';
import { WebhookProvider } from './webhook.ts';

export type { PushMessage, PushPriority, PushProvider, PushTarget, SendOutcome } from './provider.ts';
export { vapidKeys } from './vapid.ts';
export { webPushTopic } from './web-push.ts';

/** The certificate authorities provider endpoints are checked against: the public roots, plus PUSH_CA_FILE's. */
export function providerCertificates(config: PushConfig): string[] | undefined {
  if (!config.caFile) return undefined;
  return [...rootCertificates, readFileSync(config.caFile, 'utf8')];
}

/**
 * The providers this deployment delivers through, by the names registrations use: Web Push
 * always (its keys are ours), FCM and APNs when their credentials are set, and the webhooks of
 * PUSH_WEBHOOK_PROVIDERS. A registration naming a provider not here gets a recorded failure.
 */
export function createProviders(config: PushConfig, vapid: VapidKeys): Map<string, PushProvider> {
  const ca = providerCertificates(config);
  const providers: PushProvider[] = [
    new WebPushProvider(
      vapid,
      config.vapidSubject,
      // Connections to each push service are kept; the extra authorities, when any, go in one
      // context made once (an agent given `ca` itself builds a context per connection and keys its
      // pool by the whole text of every certificate, on every request).
      new Agent({ keepAlive: true, ...(ca ? { secureContext: createSecureContext({ ca }) } : {}) }),
    ),
    ...(config.fcm ? [new FcmProvider(config.fcm.serviceAccount, config.fcm.endpoint, ca)] : []),
    ...(config.apns ? [new ApnsProvider(config.apns, config.apns.endpoint, ca)] : []),
    ...config.webhooks.map((settings) => new WebhookProvider(settings)),
  ];
  return new Map(providers.map((provider) => [provider.name, provider]));
}
