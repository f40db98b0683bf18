import type { ImCluster, SecretKeyRef } from './spec.ts';

/** The rtc service's plain LiveKit settings from spec.livekit (the config map): no secret among them. */
export function livekitConfig(cluster: ImCluster): Record<string, string> {
  const livekit = cluster.spec.livekit;
  if (!livekit) return {};
  return {
    LIVEKIT_URL: livekit.url,
    ...(livekit.apiUrl ? { LIVEKIT_API_URL: livekit.apiUrl } : {}),
    LIVEKIT_API_KEY: livekit.apiKey,
    ...(livekit.egress ? { LIVEKIT_EGRESS: 'enabled' } : {}),
    ...(livekit.egressS3Endpoint ? { LIVEKIT_EGRESS_S3_ENDPOINT: livekit.egressS3Endpoint } : {}),
  };
}

/** The LiveKit API secret, read from its Secret, for the containers that run the rtc service only. */
export function livekitSecrets(cluster: ImCluster, services: string[]): Array<[string, SecretKeyRef]> {
  const livekit = cluster.spec.livekit;
  if (!livekit || !(services.includes('rtc') || services.includes('all'))) return [];
  const storage = cluster.spec.objectStorage;
  return [
    ['LIVEKIT_API_SECRET', livekit.apiSecretRef],
    // Egress writes recordings with the object storage's credentials, which the rtc service hands it
    // (a container that runs the file service has them already).
    ...(livekit.egress && storage && !services.includes('file') && !services.includes('all')
      ? ([
          ['FILE_S3_ACCESS_KEY', storage.accessKeyRef],
          ['FILE_S3_SECRET_KEY', storage.secretKeyRef],
        ] as Array<[string, SecretKeyRef]>)
      : []),
  ];
}
