import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import pg from 'pg';
import { createAdminAccount } from '../../services/admin/index.ts';
import { startHost } from '../../services/host.ts';
import { ErrorCode } from '../../services/platform/errors.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { EmbeddedInvoker } from '../../services/platform/ports/embedded/invoke.ts';
import { EmbeddedBus } from '../../services/platform/ports/embedded/pubsub.ts';
import { ApiClient, registerUser } from '../support/api-client.ts';
import { authenticatorCode } from '../support/authenticator.ts';
import { type Backend, createBackend, requirePostgres } from '../support/backends.ts';
import { testConfig } from '../support/platform.ts';

const PASSWORD = 'correct horse battery';
const key = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

/**
 * TOTP secrets sealed at rest (AES-256-GCM, TOTP_ENCRYPTION_KEYS): the platform is started three
 * times on one database, with a key, then a new key in front of it (rotation), then a wrong key.
 */
describe('TOTP secrets are sealed at rest; keys rotate; a wrong key answers 10121', function () {
  this.timeout(180_000);
  let backend: Backend;
  let db: pg.Client;

  before(async function () {
    await requirePostgres(this);
    backend = await createBackend('postgresql');
    db = new pg.Client({ connectionString: backend.env.DATABASE_URL });
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await backend?.dispose();
  });

  const start = async (keys: string) => {
    const config = testConfig({
      ...backend.env,
      TOTP_ENCRYPTION_KEYS: keys,
      ADMIN_SECOND_FACTOR: 'required',
    });
    const logger = createLogger(config.logLevel);
    const bus = new EmbeddedBus(logger);
    const host = await startHost({ config, logger, bus, invoker: new EmbeddedInvoker() });
    return {
      api: new ApiClient(host.url),
      async stop() {
        await host.stop();
        bus.close();
      },
    };
  };
  const userSecret = async (account: string) =>
    (
      await db.query<{ secret: string }>(
        `select f.secret from auth.user_second_factors f join auth.users c using (user_id)
         where c.account = $1`,
        [account],
      )
    ).rows[0]!.secret;

  it('stores ciphertext, signs in with codes across a key rotation, seals plain secrets at start, and refuses clearly with a wrong key', async () => {
    const keyA = key('a');
    const keyB = key('b');

    // 1. Key a: a user and an administrator enroll; what is stored is not the secret.
    const first = await start(keyA);
    const enrollUser = async (api: ApiClient) => {
      const user = await registerUser(api);
      const { secret } = await api.ok<{ secret: string }>('POST', '/api/v1/auth/2fa/setup', {
        token: user.accessToken,
      });
      await api.ok('POST', '/api/v1/auth/2fa/enable', {
        token: user.accessToken,
        body: { code: authenticatorCode(secret) },
      });
      return { ...user, secret };
    };
    const adminLogin = (api: ApiClient, otp?: string) =>
      api.call<{ enroll?: { secret: string } }>('POST', '/api/v1/admin/auth/login', {
        body: { username: 'sealed', password: PASSWORD, ...(otp ? { otp } : {}) },
      });
    let alice: Awaited<ReturnType<typeof enrollUser>>;
    let bob: Awaited<ReturnType<typeof enrollUser>>;
    let adminSecret: string;
    try {
      alice = await enrollUser(first.api);
      bob = await enrollUser(first.api);
      const storedAlice = await userSecret(alice.account);
      expect(storedAlice)
        .to.match(/^enc1:a:/)
        .and.not.include(alice.secret);

      await createAdminAccount(backend.env.DATABASE_URL!, {
        username: 'sealed',
        password: PASSWORD,
        role: 'operator',
      });
      adminSecret = (await adminLogin(first.api)).body.data.enroll!.secret;
      const [admin] = (
        await db.query<{ totp_secret: string }>(
          `select totp_secret from admin.admin_users where username = 'sealed'`,
        )
      ).rows;
      expect(admin!.totp_secret)
        .to.match(/^enc1:a:/)
        .and.not.include(adminSecret);
      expect((await adminLogin(first.api, authenticatorCode(adminSecret))).body.code).to.equal(0);
      // Bob's secret as a row written before sealing existed held it: in plain text.
      await db.query(
        `update auth.user_second_factors set secret = $1
         where user_id = (select user_id from auth.users where account = $2)`,
        [bob.secret, bob.account],
      );
    } finally {
      await first.stop();
    }

    // 2. Key b in front of a: old enrollments still sign in, new ones are sealed with b, and the
    // plain secret left from before is sealed at start.
    const second = await start(`${keyB},${keyA}`);
    const newDevice = (api: ApiClient, user: typeof alice, code?: string) =>
      api.call('POST', '/api/v1/auth/login', {
        body: {
          account: user.account,
          password: user.password,
          deviceType: 'iOS',
          deviceId: `phone-${Math.random()}`,
          ...(code ? { secondFactor: code } : {}),
        },
      });
    let carol: Awaited<ReturnType<typeof enrollUser>>;
    try {
      expect(await userSecret(bob.account))
        .to.match(/^enc1:b:/)
        .and.not.include(bob.secret);
      expect(await userSecret(alice.account)).to.match(/^enc1:a:/);
      const aliceIn = await newDevice(second.api, alice, authenticatorCode(alice.secret, 1));
      expect(aliceIn.body.code, JSON.stringify(aliceIn.body)).to.equal(0);
      expect((await newDevice(second.api, bob, authenticatorCode(bob.secret, 1))).body.code).to.equal(0);
      expect((await adminLogin(second.api, authenticatorCode(adminSecret!, 1))).body.code).to.equal(0);
      carol = await enrollUser(second.api);
      expect(await userSecret(carol.account)).to.match(/^enc1:b:/);
    } finally {
      await second.stop();
    }

    // 3. A different key under id a, b left out: the platform starts and serves; sign-ins that need
    // a sealed secret answer 10121 (503), not a crash.
    const third = await start(key('a'));
    try {
      for (const user of [alice, carol]) {
        const refused = await newDevice(third.api, user, authenticatorCode(user.secret, 2));
        expect(refused.status).to.equal(503);
        expect(refused.body.code).to.equal(ErrorCode.SEALED_FIELD_UNREADABLE);
      }
      const adminRefused = await adminLogin(third.api, authenticatorCode(adminSecret!, 2));
      expect(adminRefused.body.code).to.equal(ErrorCode.SEALED_FIELD_UNREADABLE);
      // Everything else goes on.
      await registerUser(third.api);
    } finally {
      await third.stop();
    }
  });
});
