import { z } from 'zod';
import { AccountDeletionService } from '../platform/contracts/gen/anychat/auth/v1/account_deletion_pb.ts';
import {
  AuthAdminService,
  AuthService as AuthContract,
} from '../platform/contracts/gen/anychat/auth/v1/auth_pb.ts';
import { AccountStatusCodes, unsetNulls } from '../platform/contracts/index.ts';
import { SNOWFLAKE_PATTERN } from '../platform/ids.ts';
import { type InputSchemas, type InternalService, internalService } from '../platform/ports/index.ts';
import type { AccountQueries } from './domain/account-admin.ts';
import type { AccountDeletions } from './domain/account-deletion.ts';
import type { AuthService } from './domain/auth-service.ts';
import type { SigningKeys } from './domain/signing-keys.ts';

const userId = z.string().regex(SNOWFLAKE_PATTERN);
const UserInput = z.object({ userId });
const time = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

/** Input rules of AuthService's methods (test/unit/contracts.test.ts holds them to the proto messages). */
export const AuthInputs = {
  getJwks: z.object({}),
  setAccountStatus: z.object({
    userId,
    status: z.union([
      z.literal(AccountStatusCodes.DISABLED),
      z.literal(AccountStatusCodes.ACTIVE),
      z.literal(AccountStatusCodes.FROZEN),
    ]),
  }),
} satisfies InputSchemas<typeof AuthContract>;

/** Input rules of AuthAdminService's methods (test/unit/contracts.test.ts holds them to the proto messages). */
export const AuthAdminInputs = {
  listAccounts: z.object({
    keyword: z.string().max(100).optional(),
    state: z.enum(['active', 'banned', 'frozen', 'deleted']).optional(),
    offset: z.number().int().min(0).max(1_000_000).default(0),
    limit: z.number().int().min(1).max(200).default(20),
  }),
  getAccount: UserInput,
  kickAccount: UserInput,
  deleteAccount: UserInput,
  listActiveAccountIds: z.object({
    afterUserId: z
      .string()
      .regex(/^(0|[1-9][0-9]{0,18})$/)
      .optional()
      .transform((value) => value ?? '0'),
    limit: z.number().int().min(1).max(1000).default(1000),
  }),
  getAccountStats: z.object({ newSince: time, activeSince: time }),
} satisfies InputSchemas<typeof AuthAdminService>;

/** Input rules of AccountDeletionService's methods (the proof's text is only bounded: auth checks it). */
export const AccountDeletionInputs = {
  requestAccountDeletion: z.object({
    userId,
    password: z.string().min(1).max(128).optional(),
    verifyCode: z.string().min(1).max(16).optional(),
  }),
} satisfies InputSchemas<typeof AccountDeletionService>;

/** What the auth service serves other services (proto/anychat/auth/v1/auth.proto). */
export function authInternal(deps: {
  auth: AuthService;
  keys: SigningKeys;
  accounts: AccountQueries;
  deletions: AccountDeletions;
}): InternalService[] {
  const { auth, keys, accounts, deletions } = deps;
  return [
    internalService(AuthContract, AuthInputs, {
      getJwks: async () => ({ keys: keys.jwks().keys.map(publicKeyOf) }),
      setAccountStatus: async (input) => {
        await auth.setAccountStatus(input.userId, input.status);
        return {};
      },
    }),
    internalService(AuthAdminService, AuthAdminInputs, {
      listAccounts: async (input) => {
        const page = await accounts.list(input);
        return { total: page.total, items: page.items.map(unsetNulls) };
      },
      getAccount: async ({ userId }) => {
        const { devices, ...account } = await accounts.detail(userId);
        return { account: unsetNulls(account), devices: devices.map(unsetNulls) };
      },
      kickAccount: async ({ userId }) => auth.kickAll(userId),
      deleteAccount: async ({ userId }) => {
        await auth.deleteAccount(userId);
        return {};
      },
      listActiveAccountIds: async (input) => ({
        userIds: await accounts.activeIds(input.afterUserId, input.limit),
      }),
      getAccountStats: async (windows) => accounts.stats(windows),
    }),
    internalService(AccountDeletionService, AccountDeletionInputs, {
      requestAccountDeletion: async ({ userId, password, verifyCode }) => {
        const { deletesAt, deleted } = await deletions.request(userId, { password, verifyCode });
        return { deletesAt: deletesAt.toISOString(), deleted };
      },
    }),
  ];
}

/** A public JWK as the contract carries it (fields it lacks left unset). */
function publicKeyOf(key: {
  kty?: string;
  crv?: string;
  x?: string;
  y?: string;
  kid?: string;
  alg?: string;
  use?: string;
}) {
  return { kty: key.kty, crv: key.crv, x: key.x, y: key.y, kid: key.kid, alg: key.alg, use: key.use };
}
