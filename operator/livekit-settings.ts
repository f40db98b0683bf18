import type { ImCluster, SecretKeyRef } from './spec.ts';

/** The rtc service's plain LiveKit settings from spec.livekit (the config map): no secret among them. */
export function livekitConfig(cluster: ImCluster): Record<string, string> {
  const livekit = cluster.spec.livekit;
  if (!livekit) return {};
  return {
    LIVEKIT_URL: livekit.url,
    ...(livekit.apiUrl ? { LIVEKIT_API_URL: livekit.apiUrl } : {}),
    LIVEKIT_API_KEY: livekit.apiKey,
  };
}

/** The LiveKit API secret, read from its Secret, for the containers that run the rtc service only. */
export function livekitSecrets(cluster: ImCluster, services: string[]): Array<[string, SecretKeyRef]> {
  const livekit = cluster.spec.livekit;
  if (!livekit || !(services.includes('rtc') || services.includes('all'))) return [];
  return [['LIVEKIT_API_SECRET', livekit.apiSecretRef]];
}
