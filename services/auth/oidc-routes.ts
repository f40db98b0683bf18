import { z } from 'zod';
import { defineRoute } from '../platform/http/routes.ts';
import { rateLimit } from '../platform/security/index.ts';
import { schemas } from '../platform/validation.ts';
import type { OidcSignIn } from './domain/oidc/index.ts';
import { signedIn } from './routes.ts';
import { DeviceType, SignedInDto } from './schemas.ts';

const tags = ['auth'];

const ProviderParams = z.object({ provider: z.string().regex(/^[a-z0-9-]{1,32}$/) });
const redirectUri = schemas
  .text(512)
  .min(1)
  .optional()
  .describe(
    'Where the provider sends the browser back: unset for the web client; a native app gives its registered custom scheme or loopback URI (RFC 8252)',
  );
const StartBody = z.object({
  redirectUri,
  deviceType: DeviceType,
  deviceId: schemas.text(100).min(1),
  deviceName: schemas.text(100).optional(),
  clientVersion: schemas.text(50).optional(),
});
const ProviderResponseBody = z.object({
  state: schemas.text(256).min(1),
  code: schemas.text(2048).min(1),
  iss: schemas.text(512).optional().describe('The `iss` the provider put in the redirect, if any'),
});
const StartedDto = z.object({
  authorizationUrl: z.string().describe('Open this in the browser (a native app: the system browser)'),
  state: z.string(),
});

export function oidcRoutes(oidc: OidcSignIn, rateLimitFactor: number) {
  const limit = rateLimit('oidc', { limit: Math.max(1, Math.round(30 * rateLimitFactor)), windowMs: 60_000 });
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/auth/oidc/providers',
      summary: 'Identity providers one can sign in with (OpenID Connect)',
      tags,
      access: 'public',
      response: z.object({ providers: z.array(z.object({ id: z.string(), name: z.string() })) }),
      handler: async () => ({ providers: oidc.providers() }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/auth/oidc/:provider/start',
      summary: 'Start signing in with a provider: the URL of its login page (code flow with PKCE)',
      tags,
      access: 'public',
      middleware: [limit],
      params: ProviderParams,
      body: StartBody,
      response: StartedDto,
      handler: ({ params, body, request }) =>
        oidc.start(params.provider, {
          redirectUri: body.redirectUri,
          device: {
            deviceId: body.deviceId,
            deviceType: body.deviceType,
            deviceName: body.deviceName,
            clientVersion: body.clientVersion,
            ip: request.ip,
          },
        }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/auth/oidc/callback',
      summary:
        'Finish signing in with the code and state the provider redirected with: our tokens for the device (the first sign-in creates the account)',
      tags,
      access: 'public',
      middleware: [limit],
      body: ProviderResponseBody,
      response: SignedInDto,
      handler: async ({ body, request }) => signedIn(await oidc.finishSignIn(body, request.userAgent)),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/auth/oidc/:provider/link',
      summary: 'Start linking a provider to my account: the URL of its login page',
      tags,
      access: 'user',
      middleware: [limit],
      params: ProviderParams,
      body: z.object({ redirectUri }),
      response: StartedDto,
      handler: ({ principal, params, body }) =>
        oidc.start(params.provider, { redirectUri: body.redirectUri, linkTo: principal.userId }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/auth/oidc/link/callback',
      summary: 'Finish linking with the code and state the provider redirected with',
      tags,
      access: 'user',
      middleware: [limit],
      body: ProviderResponseBody,
      response: z.object({ provider: z.string() }),
      handler: ({ principal, body }) => oidc.finishLink(principal.userId, body),
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/auth/oidc/identities',
      summary: 'Providers linked to my account',
      tags,
      access: 'user',
      response: z.object({
        identities: z.array(
          z.object({ provider: z.string(), email: z.string().nullable(), linkedAt: z.string() }),
        ),
      }),
      handler: async ({ principal }) => ({ identities: await oidc.identities(principal.userId) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/auth/oidc/identities/:provider',
      summary: 'Unlink a provider from my account',
      tags,
      access: 'user',
      params: ProviderParams,
      response: z.null(),
      handler: async ({ principal, params }) => {
        await oidc.unlink(principal.userId, params.provider);
        return null;
      },
    }),
  ];
}
