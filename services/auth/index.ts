import { z } from 'zod';
import { AuthAdminMethods, AuthMethods } from '../platform/contracts/index.ts';
import { EventPublisher } from '../platform/events/index.ts';
import { SNOWFLAKE_PATTERN } from '../platform/ids.ts';
import { SignInThrottle } from '../platform/security/index.ts';
import type { ServiceModule } from '../platform/service.ts';
import { parseInternal } from '../platform/validation.ts';
import { AccountQueries } from './domain/account-admin.ts';
import { AuthService } from './domain/auth-service.ts';
import { DeviceTokens } from './domain/device-tokens.ts';
import { Sessions } from './domain/sessions.ts';
import { SigningKeys } from './domain/signing-keys.ts';
import { VerificationCodes, WebhookCodeSender } from './domain/verification-codes.ts';
import { AccountStatus, authEntities } from './entities.ts';
import { Migration20261122000100_auth } from './migrations/Migration20261122000100_auth.ts';
import { Migration20261122000110_auth_admin } from './migrations/Migration20261122000110_auth_admin.ts';
import { authRoutes } from './routes.ts';

const userId = z.string().regex(SNOWFLAKE_PATTERN);
const SetStatusInput = z.object({
  userId,
  status: z.union([
    z.literal(AccountStatus.DISABLED),
    z.literal(AccountStatus.ACTIVE),
    z.literal(AccountStatus.FROZEN),
  ]),
});

const UserInput = z.object({ userId });
const ListInput = z.object({
  keyword: z.string().max(100).optional(),
  state: z.enum(['active', 'banned', 'frozen', 'deleted']).optional(),
  offset: z.number().int().min(0).max(1_000_000).default(0),
  limit: z.number().int().min(1).max(200).default(20),
});
const IdsInput = z.object({
  afterUserId: z
    .string()
    .regex(/^(0|[1-9][0-9]{0,18})$/)
    .nullish()
    .transform((value) => value ?? '0'),
  limit: z.number().int().min(1).max(1000).default(1000),
});
const time = z.iso.datetime({ offset: true }).transform((value) => new Date(value));
const StatsInput = z.object({ newSince: time, activeSince: time });

export const authService: ServiceModule = {
  name: 'auth',
  schema: 'auth',
  entities: authEntities,
  migrations: [
    { name: 'Migration20261122000100_auth', class: Migration20261122000100_auth },
    { name: 'Migration20261122000110_auth_admin', class: Migration20261122000110_auth_admin },
  ],
  async create(ctx) {
    const config = ctx.config.auth;
    const store = ctx.state.store(ctx.config.dapr.stateStoreName);
    const keys = new SigningKeys(ctx.orm, config.issuer, config.accessTokenTtlSeconds, config.signingKey);
    await keys.load();
    const events = new EventPublisher(ctx.pubsub, ctx.pubsubName);
    const sessions = new Sessions(ctx.orm, keys, ctx.sharedState, events, ctx.ids, config, ctx.logger);
    const sender = config.codeWebhookUrl ? new WebhookCodeSender(config.codeWebhookUrl) : undefined;
    const codes = new VerificationCodes(store, sender, config.codeTtlSeconds, config.codeResendSeconds);
    const throttle = new SignInThrottle(store, 'login', config.login);
    const auth = new AuthService({
      orm: ctx.orm,
      sessions,
      codes,
      throttle,
      deviceTokens: new DeviceTokens(keys, config.deviceTokenTtlSeconds),
      invoke: ctx.invoke,
      events,
      ids: ctx.ids,
      logger: ctx.logger,
    });
    const accounts = new AccountQueries(ctx.orm);
    return {
      routes: authRoutes(auth, keys, store, ctx.config.rateLimitFactor),
      subscriptions: [],
      internal: {
        [AuthMethods.jwks]: async () => keys.jwks(),
        [AuthMethods.setAccountStatus]: async (body) => {
          const input = parseInternal(SetStatusInput, body);
          await auth.setAccountStatus(input.userId, input.status);
          return null;
        },
        [AuthAdminMethods.list]: async (body) => accounts.list(parseInternal(ListInput, body)),
        [AuthAdminMethods.detail]: async (body) => accounts.detail(parseInternal(UserInput, body).userId),
        [AuthAdminMethods.kick]: async (body) => auth.kickAll(parseInternal(UserInput, body).userId),
        [AuthAdminMethods.delete]: async (body) => {
          await auth.deleteAccount(parseInternal(UserInput, body).userId);
          return null;
        },
        [AuthAdminMethods.ids]: async (body) => {
          const input = parseInternal(IdsInput, body);
          return { userIds: await accounts.activeIds(input.afterUserId, input.limit) };
        },
        [AuthAdminMethods.stats]: async (body) => accounts.stats(parseInternal(StatsInput, body)),
      },
    };
  },
};
