import { z } from 'zod';
import { AuthMethods } from '../platform/contracts/index.ts';
import type { ServiceModule } from '../platform/service.ts';
import { parseInternal } from '../platform/validation.ts';
import { AuthService } from './domain/auth-service.ts';
import { LoginThrottle } from './domain/login-throttle.ts';
import { Sessions } from './domain/sessions.ts';
import { SigningKeys } from './domain/signing-keys.ts';
import { VerificationCodes, WebhookCodeSender } from './domain/verification-codes.ts';
import { AccountStatus, authEntities } from './entities.ts';
import { Migration20261122000100_auth } from './migrations/Migration20261122000100_auth.ts';
import { authRoutes } from './routes.ts';

const SetStatusInput = z.object({
  userId: z.string().regex(/^[1-9][0-9]{0,18}$/),
  status: z.union([
    z.literal(AccountStatus.DISABLED),
    z.literal(AccountStatus.ACTIVE),
    z.literal(AccountStatus.FROZEN),
  ]),
});

export const authService: ServiceModule = {
  name: 'auth',
  schema: 'auth',
  entities: authEntities,
  migrations: [{ name: 'Migration20261122000100_auth', class: Migration20261122000100_auth }],
  async create(ctx) {
    const config = ctx.config.auth;
    const store = ctx.state.store(ctx.config.dapr.stateStoreName);
    const keys = new SigningKeys(ctx.orm, config.issuer, config.accessTokenTtlSeconds, config.signingKey);
    await keys.load();
    const sessions = new Sessions(
      ctx.orm,
      keys,
      ctx.sharedState,
      ctx.pubsub,
      ctx.pubsubName,
      ctx.ids,
      config,
      ctx.logger,
    );
    const sender = config.codeWebhookUrl ? new WebhookCodeSender(config.codeWebhookUrl) : undefined;
    const codes = new VerificationCodes(store, sender, config.codeTtlSeconds, config.codeResendSeconds);
    const throttle = new LoginThrottle(store, config.loginMaxFailures, config.loginLockSeconds);
    const auth = new AuthService({
      orm: ctx.orm,
      sessions,
      codes,
      throttle,
      invoke: ctx.invoke,
      pubsub: ctx.pubsub,
      pubsubName: ctx.pubsubName,
      ids: ctx.ids,
      logger: ctx.logger,
    });
    return {
      routes: authRoutes(auth, keys, ctx.config.rateLimitFactor),
      subscriptions: [],
      internal: {
        [AuthMethods.jwks]: async () => keys.jwks(),
        [AuthMethods.setAccountStatus]: async (body) => {
          const input = parseInternal(SetStatusInput, body);
          await auth.setAccountStatus(input.userId, input.status);
          return null;
        },
      },
    };
  },
};
