import { sqlExecutor } from '../platform/db/index.ts';
import { EventPublisher } from '../platform/events/index.ts';
import { fieldCipher, SignInThrottle, sealPlainColumn, WindowLimit } from '../platform/security/index.ts';
import type { ServiceModule } from '../platform/service.ts';
import { UserClient } from './clients/users.ts';
import { AccountQueries } from './domain/account-admin.ts';
import { AccountDeletions } from './domain/account-deletion.ts';
import { AuthService } from './domain/auth-service.ts';
import { botFeature } from './domain/bots/index.ts';
import { ConfiguredDelivery } from './domain/delivery/index.ts';
import { DeviceTokens } from './domain/device-tokens.ts';
import { LoginAlerts } from './domain/login-alerts.ts';
import { NewAccounts } from './domain/new-accounts.ts';
import { Flows, OidcProviders, OidcSignIn } from './domain/oidc/index.ts';
import { Sessions } from './domain/sessions.ts';
import { SignIns } from './domain/sign-in.ts';
import { SigningKeys } from './domain/signing-keys.ts';
import { TwoFactor, userTotpContext } from './domain/two-factor.ts';
import { VerificationCodes } from './domain/verification-codes.ts';
import { authEntities } from './entities.ts';
import { authInternal } from './internal.ts';
import { Migration20261122000100_auth } from './migrations/Migration20261122000100_auth.ts';
import { Migration20261122000110_auth_admin } from './migrations/Migration20261122000110_auth_admin.ts';
import { Migration20261130000120_auth_second_factor } from './migrations/Migration20261130000120_auth_second_factor.ts';
import { Migration20261130000130_auth_identities } from './migrations/Migration20261130000130_auth_identities.ts';
import { Migration20261130000140_auth_sealed_totp } from './migrations/Migration20261130000140_auth_sealed_totp.ts';
import { Migration20261201001000_bots } from './migrations/Migration20261201001000_bots.ts';
import { Migration20261201001100_auth_account_deletion } from './migrations/Migration20261201001100_auth_account_deletion.ts';
import { oidcRoutes } from './oidc-routes.ts';
import { authRoutes } from './routes.ts';

/** How often deletions whose grace period ended are looked for. */
const DELETION_SWEEP_MS = 5_000;

export const authService: ServiceModule = {
  name: 'auth',
  schema: 'auth',
  entities: authEntities,
  migrations: [
    { name: 'Migration20261122000100_auth', class: Migration20261122000100_auth },
    { name: 'Migration20261122000110_auth_admin', class: Migration20261122000110_auth_admin },
    {
      name: 'Migration20261130000120_auth_second_factor',
      class: Migration20261130000120_auth_second_factor,
    },
    { name: 'Migration20261130000130_auth_identities', class: Migration20261130000130_auth_identities },
    { name: 'Migration20261130000140_auth_sealed_totp', class: Migration20261130000140_auth_sealed_totp },
    { name: 'Migration20261201001000_bots', class: Migration20261201001000_bots },
    {
      name: 'Migration20261201001100_auth_account_deletion',
      class: Migration20261201001100_auth_account_deletion,
    },
  ],
  async create(ctx) {
    const config = ctx.config.auth;
    const store = ctx.state.store(ctx.config.dapr.stateStoreName);
    const keys = new SigningKeys(ctx.orm, config.issuer, config.accessTokenTtlSeconds, config.signingKey);
    await keys.load();
    const events = new EventPublisher(ctx.pubsub, ctx.pubsubName);
    const sessions = new Sessions(ctx.orm, keys, ctx.sharedState, events, ctx.ids, config, ctx.logger);
    const delivery = new ConfiguredDelivery(config, ctx.logger);
    const codes = new VerificationCodes(store, delivery, {
      ttlSeconds: config.codeTtlSeconds,
      resendSeconds: config.codeResendSeconds,
      targetHourlyLimit: config.codeTargetHourlyLimit,
    });
    const throttle = new SignInThrottle(store, 'login', config.login);
    const deviceTokens = new DeviceTokens(keys, config.deviceTokenTtlSeconds);
    const sql = sqlExecutor(ctx.orm);
    const totpCipher = await fieldCipher(sql, 'auth', config.totpKeys);
    // Secrets stored before sealing existed are sealed now (idempotent: sealed ones are skipped).
    await sealPlainColumn(sql, totpCipher, {
      table: '"auth"."user_second_factors"',
      key: 'user_id',
      column: 'secret',
      context: userTotpContext,
    });
    // Codes tried per account: 10 per 15 minutes (a six-digit code, three steps accepted at a time).
    const twoFactor = new TwoFactor(
      ctx.orm,
      new WindowLimit(store, 'second-factor', { limit: 10, windowMs: 15 * 60_000 }),
      totpCipher,
    );
    const alerts = new LoginAlerts({ orm: ctx.orm, events, delivery, ids: ctx.ids, logger: ctx.logger });
    const users = new UserClient(ctx.invoke);
    const deletions = new AccountDeletions({
      orm: ctx.orm,
      sessions,
      codes,
      // The deletion itself is the administrator's (called only after `auth` below exists).
      deleteAccount: (userId): Promise<void> => auth.deleteAccount(userId),
      graceSeconds: config.deletionGraceSeconds,
      logger: ctx.logger,
    });
    const signIns = new SignIns({
      deletions,
      sessions,
      deviceTokens,
      twoFactor,
      alerts,
      events,
      logger: ctx.logger,
      users,
    });
    const accounts = new NewAccounts({
      orm: ctx.orm,
      users,
      events,
      ids: ctx.ids,
      logger: ctx.logger,
    });
    const auth = new AuthService({
      orm: ctx.orm,
      sessions,
      signIns,
      accounts,
      codes,
      throttle,
      deviceTokens,
      events,
      logger: ctx.logger,
    });
    const oidc = new OidcSignIn({
      orm: ctx.orm,
      providers: new OidcProviders(config.oidc.providers, ctx.logger),
      flows: new Flows(store),
      accounts,
      signIns,
      ids: ctx.ids,
      defaultRedirectUri: () => config.oidc.redirectUri ?? `${ctx.publicUrl()}/oidc/callback`,
    });
    const accountQueries = new AccountQueries(ctx.orm);
    const bots = botFeature({
      sql,
      keys,
      revocations: ctx.sharedState,
      events,
      users,
      ids: ctx.ids,
      logger: ctx.logger,
    });
    deletions.startSweeper(DELETION_SWEEP_MS);
    // Deletions that fell due while no process ran are finalised now, not at the first tick.
    void deletions.sweepNow();
    return {
      routes: [
        ...authRoutes(auth, twoFactor, keys, store, ctx.config.rateLimitFactor),
        ...oidcRoutes(oidc, ctx.config.rateLimitFactor),
        ...bots.routes,
      ],
      subscriptions: [],
      internal: [...authInternal({ auth, keys, accounts: accountQueries, deletions }), bots.internal],
      async stop() {
        await deletions.stop();
        delivery.close();
      },
    };
  },
};
