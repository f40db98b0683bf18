import type { ImCluster, SecretKeyRef } from './spec.ts';

const APNS_ENDPOINTS = {
  production: 'https://api.push.apple.com',
  sandbox: 'https://api.sandbox.push.apple.com',
};

/** The push service's plain settings from spec.push (the config map): no credential among them. */
export function pushConfig(cluster: ImCluster): Record<string, string> {
  const push = cluster.spec.push;
  if (!push) return {};
  return {
    ...(push.vapid ? { PUSH_VAPID_SUBJECT: push.vapid.subject } : {}),
    ...(push.apns
      ? {
          PUSH_APNS_KEY_ID: push.apns.keyId,
          PUSH_APNS_TEAM_ID: push.apns.teamId,
          PUSH_APNS_TOPIC: push.apns.topic,
          PUSH_APNS_ENDPOINT: push.apns.sandbox ? APNS_ENDPOINTS.sandbox : APNS_ENDPOINTS.production,
        }
      : {}),
  };
}

/**
 * The push credentials, as environment variables read from their Secrets, for the containers
 * that run the push service only (no other pod sees them).
 */
export function pushSecrets(cluster: ImCluster, services: string[]): Array<[string, SecretKeyRef]> {
  const push = cluster.spec.push;
  if (!push || !(services.includes('push') || services.includes('all'))) return [];
  return [
    ...(push.vapid
      ? ([
          ['PUSH_VAPID_PUBLIC_KEY', push.vapid.publicKeyRef],
          ['PUSH_VAPID_PRIVATE_KEY', push.vapid.privateKeyRef],
        ] as Array<[string, SecretKeyRef]>)
      : []),
    ...(push.fcm
      ? ([['PUSH_FCM_SERVICE_ACCOUNT', push.fcm.serviceAccountRef]] as Array<[string, SecretKeyRef]>)
      : []),
    ...(push.apns ? ([['PUSH_APNS_KEY', push.apns.keyRef]] as Array<[string, SecretKeyRef]>) : []),
    ...(push.webhooksRef
      ? ([['PUSH_WEBHOOK_PROVIDERS', push.webhooksRef]] as Array<[string, SecretKeyRef]>)
      : []),
  ];
}
