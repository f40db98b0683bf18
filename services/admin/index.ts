import { createHash, randomInt } from 'node:crypto';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { z } from 'zod';
import type { CreatedAdmin, FirstAdminRequest } from '../../common/index.ts';
import { AdminTopics } from '../platform/contracts/index.ts';
import { migrate, openServiceDatabase, sqlExecutor } from '../platform/db/index.ts';
import { eventSubscription } from '../platform/events/index.ts';
import { SnowflakeGenerator } from '../platform/ids.ts';
import { createLogger } from '../platform/logger.ts';
import { Outbox } from '../platform/outbox.ts';
import { PresenceRegistry } from '../platform/presence/index.ts';
import { fieldCipher, SignInThrottle, sealPlainColumn } from '../platform/security/index.ts';
import type { ServiceModule } from '../platform/service.ts';
import { schemas } from '../platform/validation.ts';
import { AccountsClient } from './clients/auth.ts';
import { FilesClient } from './clients/files.ts';
import { GroupsClient } from './clients/groups.ts';
import { MessagesClient } from './clients/messages.ts';
import { PushClient } from './clients/push.ts';
import { RtcClient } from './clients/rtc.ts';
import { AdminAccounts } from './domain/admin-accounts.ts';
import { AdminSecondFactor, adminTotpContext } from './domain/admin-second-factor.ts';
import { AuditLog, adminActor } from './domain/audit-log.ts';
import { Broadcasts } from './domain/broadcasts.ts';
import { ContentModeration } from './domain/content-moderation.ts';
import { FileModeration } from './domain/file-moderation.ts';
import { GatewayInstances } from './domain/gateway-instances.ts';
import { MeetingModeration } from './domain/meeting-moderation.ts';
import { PushChecks } from './domain/push-checks.ts';
import { Statistics } from './domain/statistics.ts';
import { SystemConfig } from './domain/system-config.ts';
import { UserModeration } from './domain/user-moderation.ts';
import { Migration20261122000700_admin } from './migrations/Migration20261122000700_admin.ts';
import { Migration20261130000710_admin_second_factor } from './migrations/Migration20261130000710_admin_second_factor.ts';
import { Migration20261130000720_admin_sealed_totp } from './migrations/Migration20261130000720_admin_sealed_totp.ts';
import { Migration20261201001200_admin_meetings_permission } from './migrations/Migration20261201001200_admin_meetings_permission.ts';
import { adminRoutes } from './routes.ts';
import { CreateAdminBody } from './schemas.ts';

/**
 * The text of a login record (auth.login.recorded) as the audit log keeps it. It is whatever was
 * typed or sent (an account name up to the login form's 254 characters, any User-Agent): accepted,
 * clipped and made storable, so that no attempt is missing from the audit log because of what it
 * contained.
 */
const StorableLogin = z.object({
  account: schemas.eventText(254),
  failure: schemas.eventText(50).optional(),
  deviceId: schemas.eventText(100),
  deviceType: schemas.eventText(20),
  ip: schemas.eventText(50),
  userAgent: schemas.eventText(500).optional(),
});

const OUTBOX_SWEEP_MS = 15_000;
const MIGRATIONS = [
  { name: 'Migration20261122000700_admin', class: Migration20261122000700_admin },
  {
    name: 'Migration20261130000710_admin_second_factor',
    class: Migration20261130000710_admin_second_factor,
  },
  { name: 'Migration20261130000720_admin_sealed_totp', class: Migration20261130000720_admin_sealed_totp },
  {
    name: 'Migration20261201001200_admin_meetings_permission',
    class: Migration20261201001200_admin_meetings_permission,
  },
];

/** A 63-bit audit id from an event id, so that a redelivered login event is recorded once. */
const auditIdOf = (eventId: string) =>
  (BigInt(`0x${createHash('sha256').update(eventId).digest('hex').slice(0, 16)}`) >> 1n).toString();

export const adminService: ServiceModule = {
  name: 'admin',
  schema: 'admin',
  entities: [],
  migrations: MIGRATIONS,
  async create(ctx) {
    const sql = sqlExecutor(ctx.orm);
    const audit = new AuditLog(sql, ctx.ids);
    const outbox = new Outbox({
      sql,
      schema: 'admin',
      pubsub: ctx.pubsub,
      pubsubName: ctx.pubsubName,
      ids: ctx.ids,
      logger: ctx.logger,
    });
    const limits = ctx.state.store(ctx.config.dapr.stateStoreName);
    const totpCipher = await fieldCipher(sql, 'admin', ctx.config.auth.totpKeys);
    // Secrets stored before sealing existed are sealed now (idempotent: sealed ones are skipped).
    await sealPlainColumn(sql, totpCipher, {
      table: '"admin"."admin_users"',
      key: 'admin_id',
      column: 'totp_secret',
      context: adminTotpContext,
    });
    const accounts = new AdminAccounts(sql, ctx.ids, audit, ctx.config.admin.tokenTtlSeconds, {
      throttle: new SignInThrottle(limits, 'admin-login', ctx.config.auth.login),
      secondFactor: new AdminSecondFactor(sql, ctx.config.admin.secondFactor, totpCipher),
    });
    const clients = {
      accounts: new AccountsClient(ctx.invoke),
      groups: new GroupsClient(ctx.invoke),
      messages: new MessagesClient(ctx.invoke),
      push: new PushClient(ctx.invoke),
      files: new FilesClient(ctx.invoke),
      rtc: new RtcClient(ctx.invoke),
    };
    const users = new UserModeration({
      sql,
      accounts: clients.accounts,
      audit,
      presence: new PresenceRegistry(ctx.sharedState, {
        entryTtlSeconds: ctx.config.gateway.presenceTtlSeconds,
      }),
      logger: ctx.logger,
    });
    // Three missed reports and a gateway instance is taken for gone.
    const gateways = new GatewayInstances(
      ctx.sharedState,
      3 * ctx.config.gateway.reportIntervalSeconds * 1000,
    );
    const broadcasts = new Broadcasts({
      sql,
      outbox,
      accounts: clients.accounts,
      pubsub: ctx.pubsub,
      pubsubName: ctx.pubsubName,
      gateways,
      ids: ctx.ids,
      audit,
      logger: ctx.logger,
    });
    const config = new SystemConfig(sql, ctx.sharedState, audit);
    const domain = {
      accounts,
      audit,
      users,
      content: new ContentModeration(clients.groups, clients.messages, audit),
      broadcasts,
      statistics: new Statistics(clients, gateways),
      config,
      push: new PushChecks(clients.push, audit),
      files: new FileModeration(clients.files, audit),
      meetings: new MeetingModeration(clients.rtc, audit),
    };

    await config.publishSensitiveWords();
    outbox.start(OUTBOX_SWEEP_MS);
    const sweep = async () => {
      await users.liftExpiredBans();
      await broadcasts.resume();
    };
    const sweeper = setInterval(
      () => void sweep().catch((error: unknown) => ctx.logger.warn({ err: error }, 'admin sweep failed')),
      ctx.config.admin.sweepSeconds * 1000,
    );
    sweeper.unref();
    // Broadcasts cut short by a restart go on now, not a sweep later.
    void broadcasts
      .resume()
      .catch((error: unknown) => ctx.logger.warn({ err: error }, 'broadcast resume failed'));

    return {
      routes: adminRoutes(domain, limits, ctx.config.rateLimitFactor),
      adminAccess: {
        authenticate: (token) => accounts.authenticate(token),
        denied: (admin, attempt) =>
          audit.record(adminActor(admin, attempt.ip), {
            action: 'admin.denied',
            resourceType: 'route',
            resourceId: `${attempt.method} ${attempt.path}`.slice(0, 100),
            details: { permission: attempt.permission, role: admin.role },
          }),
      },
      subscriptions: [
        eventSubscription({
          pubsubName: ctx.pubsubName,
          topic: AdminTopics.loginRecorded,
          logger: ctx.logger,
          async handle(record, event) {
            const login = StorableLogin.parse(record);
            const userId = record.userId ?? null;
            await audit.record(
              { type: 'user', id: userId, name: login.account, ip: login.ip },
              {
                action: record.success ? 'user.login' : 'user.login.failed',
                resourceType: 'user',
                ...(userId ? { resourceId: userId } : {}),
                details: {
                  deviceId: login.deviceId,
                  deviceType: login.deviceType,
                  ...(login.failure ? { failure: login.failure } : {}),
                  ...(login.userAgent ? { userAgent: login.userAgent } : {}),
                },
              },
              record.at ? timestampDate(record.at) : new Date(),
              auditIdOf(event.id),
            );
          },
        }),
      ],
      internal: [],
      async stop() {
        clearInterval(sweeper);
        await broadcasts.settled();
        await outbox.stop();
      },
    };
  },
};

/**
 * Creates an administrator directly in the database: how the first admin comes to exist
 * (`imctl admin create --database-url …` runs services/create-admin.ts), since no admin exists yet
 * to call the API and there is no default password. Applies the admin schema's migrations first.
 */
export async function createAdminAccount(
  databaseUrl: string,
  input: FirstAdminRequest,
): Promise<CreatedAdmin> {
  const parsed = CreateAdminBody.parse(input);
  const logger = createLogger('silent');
  const orm = await openServiceDatabase({
    url: databaseUrl,
    schema: adminService.schema,
    entities: [],
    migrations: MIGRATIONS,
    poolMax: 1,
    logger,
  });
  try {
    await migrate(orm, adminService.schema);
    // Any worker id: this short-lived process makes two ids, and ids carry their millisecond.
    const ids = new SnowflakeGenerator(randomInt(1024));
    const sql = sqlExecutor(orm);
    const admin = await new AdminAccounts(sql, ids, new AuditLog(sql, ids), 0).create(
      { type: 'system', name: 'imctl admin create' },
      parsed,
    );
    return { adminId: admin.adminId, username: admin.username, role: admin.role };
  } finally {
    await orm.close();
  }
}
