import { z } from 'zod';
import { AccountDeletionService } from '../platform/contracts/gen/anychat/auth/v1/account_deletion_pb.ts';
import type { RequestState } from '../platform/http/context.ts';
import { defineRoute } from '../platform/http/routes.ts';
import type { InvokePort } from '../platform/ports/index.ts';
import { rateLimit } from '../platform/security/rate-limit.ts';

const tags = ['user'];

export const DeleteAccountBody = z
  .object({
    password: z.string().min(1).max(128).optional().describe('The current password'),
    verifyCode: z
      .string()
      .min(4)
      .max(16)
      .optional()
      .describe(
        'Instead of the password (accounts made through an identity provider): a sign-in code (purpose `login`) sent to the account’s phone number or e-mail',
      ),
  })
  .refine((body) => body.password !== undefined || body.verifyCode !== undefined, {
    message: 'password or verifyCode is required',
  });

export const AccountDeletionDto = z.object({
  deletesAt: z.string().describe('When the account is (or was) deleted'),
  deleted: z.boolean().describe('True when deleted already (no grace period configured)'),
});

/**
 * Deleting my account. Served by the user service (the `/users` path family) and decided by the
 * auth service, which holds the credentials the request must prove again. A body on DELETE is not
 * carried reliably by clients and proxies, so the request is a POST to `/users/me/deletion`.
 */
export function deletionRoutes(invoke: InvokePort, rateLimitFactor: number) {
  // Per user: each attempt checks a password, so guesses are kept rare.
  const limit = rateLimit('account-deletion', {
    limit: Math.max(1, Math.round(10 * rateLimitFactor)),
    windowMs: 60 * 60_000,
    key: (ctx) => `user:${(ctx.state as RequestState).principal?.userId ?? ctx.ip}`,
  });
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/users/me/deletion',
      summary:
        'Delete my account (password or a fresh sign-in code required): every device is signed out; after ACCOUNT_DELETION_GRACE_SECONDS (7 days by default) the account is deleted unless I sign in again, which cancels it. Export my data first: an export link keeps working until the deletion takes effect',
      tags,
      access: 'user',
      middleware: [limit],
      body: DeleteAccountBody,
      response: AccountDeletionDto,
      handler: ({ principal, body }) =>
        invoke.call(AccountDeletionService.method.requestAccountDeletion, {
          userId: principal.userId,
          ...body,
        }),
    }),
  ];
}
