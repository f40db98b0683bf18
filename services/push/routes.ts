import { z } from 'zod';
import { defineRoute } from '../platform/http/routes.ts';

export const VapidKeyDto = z.object({
  /** The application server key for `PushManager.subscribe` (uncompressed P-256 point, base64url). */
  publicKey: z.string(),
});

/**
 * What a browser needs to subscribe to Web Push: the public half of the VAPID key pair this
 * deployment signs its pushes with (RFC 8292). Public, as a key meant for every browser is; the
 * subscription itself is registered with `POST /api/v1/users/push-token` (platform `Web`).
 */
export function pushRoutes(vapidPublicKey: string) {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/push/vapid-public-key',
      summary: 'The VAPID public key browsers subscribe to Web Push with',
      tags: ['push'],
      access: 'public',
      response: VapidKeyDto,
      handler: async () => ({ publicKey: vapidPublicKey }),
    }),
  ];
}
