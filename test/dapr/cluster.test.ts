/**
 * The cluster shape end to end: every service of dapr.yaml in its own process behind its own real
 * daprd, two gateway processes, REST through a path-routing ingress, WebSockets straight to the
 * gateways. Runs once on NATS JetStream (Redis state) and once on Redis Streams (PostgreSQL state),
 * switched only by the Dapr resource folders handed to the sidecars.
 */
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import pg from 'pg';
import sharp from 'sharp';
import { createAdminAccount } from '../../services/admin/index.ts';
import { ErrorCode } from '../../services/platform/errors.ts';
import { download, type FileView, sha256, uploadSimple } from '../file/files-client.ts';
import { registerUser, type SignedIn, uniqueAccount } from '../support/api-client.ts';
import { authenticatorCode } from '../support/authenticator.ts';
import { befriend, befriendAll, sleep, type User } from '../support/chat.ts';
import { type Broker, DaprCluster } from '../support/dapr-cluster.ts';
import { eventually } from '../support/eventually.ts';
import { MailServer } from '../support/mail-server.ts';
import { type MinioServer, startMinio } from '../support/minio.ts';
import { OpenIdProvider } from '../support/openid-provider.ts';
import { type ConnectionSampler, sampleTestDatabaseConnections } from '../support/pg-connections.ts';
import { selfSignedCertificate } from '../support/tls.ts';
import { WebPushEndpoint } from '../support/web-push-endpoint.ts';
import { clientMsgId, type Frame, WsClient } from '../support/ws-client.ts';

interface SessionView {
  sessionId: string;
  unreadCount: number;
  lastMessage?: { preview: string };
}

/**
 * Sends until the platform acknowledges, reusing the same clientMsgId (idempotent), over whichever
 * socket `socket()` returns at the time: what a client does while the server side is failing over.
 */
async function sendAcknowledged(
  socket: () => WsClient,
  targetId: string,
  content: string,
  sessionType = 'single',
) {
  const msgId = clientMsgId();
  const errors: number[] = [];
  for (let attempt = 0; attempt < 200; attempt++) {
    const ws = socket();
    const mark = ws.frames.length;
    try {
      ws.send({ type: 'SEND_MESSAGE', msgId, data: { sessionType, targetId, contentType: 'text', content } });
      const answer = await ws.next(
        (f) => (f.type === 'SEND_ACK' || f.type === 'ERROR') && f.msgId === msgId,
        15_000,
        mark,
      );
      if (answer.type === 'SEND_ACK') return { ack: answer, errors };
      errors.push(answer.data?.code ?? -1);
    } catch {
      errors.push(0); // no answer (socket gone or timed out): try again
    }
    await sleep(250);
  }
  throw new Error(`"${content}" was never acknowledged (errors ${errors.join(',')})`);
}

const texts = (ws: WsClient, from?: string) =>
  ws
    .messages()
    .filter((f) => f.data.contentType === 'text' && (!from || f.data.senderId === from))
    .map((f) => f.data.content as string);

function restartNats() {
  execFileSync('start-stop-daemon', [
    '--stop',
    '--oknodo',
    '--retry',
    '10',
    '--exec',
    '/usr/sbin/nats-server',
  ]);
  execFileSync('start-stop-daemon', [
    ...['--start', '--oknodo', '--background', '--exec', '/usr/sbin/nats-server', '--'],
    ...[
      '-a',
      '127.0.0.1',
      '-p',
      '4222',
      '-js',
      '-sd',
      '/var/lib/nats-server',
      '-l',
      '/var/log/nats-server.log',
    ],
  ]);
}

/** The web client's callback page the OpenID Provider sends the browser back to (never opened here). */
const WEB_CALLBACK = 'http://127.0.0.1:9/oidc/callback';

/** PostgreSQL's default max_connections is 100; the whole cluster shape must stay below half of it. */
const CONNECTION_CEILING = 50;

for (const broker of ['nats', 'redis'] as const satisfies Broker[]) {
  const state = broker === 'nats' ? 'redis' : 'postgresql';
  describe(`cluster shape on real Dapr sidecars [${broker} pub/sub, ${state} state]`, function () {
    this.timeout(120_000);
    let cluster: DaprCluster;
    let connections: ConnectionSampler | undefined;
    let minio: MinioServer | undefined;
    // Offline pushes go to a Web Push service of the test's own (see test/push/web-push.test.ts).
    const certificate = selfSignedCertificate();
    let pushEndpoint: WebPushEndpoint | undefined;
    // Identity against real parts: codes go to an SMTP server, single sign-on to an OpenID Provider.
    let mail: MailServer | undefined;
    let op: OpenIdProvider | undefined;
    const api = () => cluster.api;
    const gw = (n: 1 | 2) => cluster.member(`gateway-${n}`).url;

    before(async function () {
      this.timeout(600_000);
      connections = await sampleTestDatabaseConnections();
      // The file service keeps files on a real MinIO server, as a cluster does.
      minio = await startMinio();
      pushEndpoint = await WebPushEndpoint.start(certificate);
      mail = await MailServer.start();
      op = await OpenIdProvider.start({
        clientId: 'anychat',
        clientSecret: 'op-secret',
        redirectUris: [WEB_CALLBACK],
      });
      cluster = await DaprCluster.start({
        broker,
        state,
        gateways: 2,
        env: {
          GATEWAY_REPORT_INTERVAL_SECONDS: '1',
          ...minio.env,
          PUSH_CA_FILE: certificate.certFile,
          ...mail.env({ SMTP_FROM: 'AnyChat <no-reply@anychat.test>' }),
          OIDC_PROVIDERS: JSON.stringify([
            { id: 'test-op', name: 'Test OP', issuer: op.issuer, clientId: 'anychat' },
          ]),
          OIDC_CLIENT_SECRET_TEST_OP: 'op-secret',
          OIDC_REDIRECT_URI: WEB_CALLBACK,
        },
      });
    });
    after(async function () {
      this.timeout(60_000);
      await cluster?.stop();
      await minio?.stop();
      await pushEndpoint?.close();
      await mail?.close();
      await op?.close();
      certificate.dispose();
      await connections?.stop();
    });
    afterEach(function () {
      if (this.currentTest?.state === 'failed') console.error(cluster.diagnostics());
    });

    async function friends(): Promise<[User, User]> {
      const a = await registerUser(api());
      const b = await registerUser(api());
      await befriend(api(), a, b);
      return [a, b];
    }

    it('administers across services: a ban reaches the user on its gateway, broadcasts and stats cover every gateway', async () => {
      const username = `root-${broker}`;
      const password = 'correct horse battery';
      await createAdminAccount(cluster.databaseUrl, { username, password, role: 'superadmin' });
      const { token } = await api().ok<{ token: string }>('POST', '/api/v1/admin/auth/login', {
        body: { username, password },
      });
      const admin = <T>(method: string, path: string, body?: unknown) =>
        api().ok<T>(method, path, { token, ...(body === undefined ? {} : { body }) });
      const [a, b] = await friends();
      const wsA = await WsClient.connect(gw(1), a.accessToken);
      const wsB = await WsClient.connect(gw(2), b.accessToken);
      try {
        await admin('POST', '/api/v1/admin/broadcasts', { text: 'hello from the platform' });
        for (const ws of [wsA, wsB]) {
          const notice = await ws.next(
            (f) => f.type === 'NOTIFICATION' && f.data.kind === 'admin.announcement',
            15_000,
          );
          expect(notice.data.payload.text).to.equal('hello from the platform');
        }
        await eventually('both gateways report their connections', async () => {
          const stats = await admin<{ connections: { total: number; gateways: unknown[] } }>(
            'GET',
            '/api/v1/admin/stats',
          );
          return stats.connections.gateways.length === 2 && stats.connections.total >= 2;
        });

        await admin('POST', `/api/v1/admin/users/${b.userId}/ban`, { reason: 'cluster test' });
        const logout = await wsB.next((f) => f.type === 'FORCE_LOGOUT', 15_000);
        expect(logout.data.reason).to.equal('account_banned');
        const refused = await api().call('POST', '/api/v1/auth/login', {
          body: { account: b.account, password: b.password, deviceType: 'Web', deviceId: 'web-b' },
        });
        expect(refused.body.code).to.equal(10111);
        const audit = await admin<{ items: Array<{ action: string }> }>(
          'GET',
          `/api/v1/admin/audit?userId=${b.userId}`,
        );
        expect(audit.items.map((item) => item.action)).to.include('user.ban');
      } finally {
        await Promise.all([wsA.close(), wsB.close()]);
      }
    });

    it('pushes a message to a user with no connected device across sidecars (message, push, user, session)', async () => {
      const a = await registerUser(api(), { nickname: 'Ann' });
      const b = await registerUser(api());
      await befriend(api(), a, b);
      const device = `cluster-${broker}-${b.userId}`;
      // Registered through the user service; the push service learns it over pub/sub.
      await api().ok('POST', '/api/v1/users/push-token', {
        token: b.accessToken,
        body: { pushToken: pushEndpoint!.subscribe(device), platform: 'Web', language: 'en' },
      });
      const wsA = await WsClient.connect(gw(1), a.accessToken);
      try {
        await eventually(
          'the push service learns the registration',
          async () => {
            const db = new pg.Client({ connectionString: cluster.databaseUrl });
            await db.connect();
            try {
              const { rows } = await db.query(
                'select 1 from "push"."push_registrations" where "user_id" = $1 and not "removed"',
                [b.userId],
              );
              return rows.length === 1;
            } finally {
              await db.end();
            }
          },
          30_000,
        );
        const sent = await wsA.sendMessage(b.userId, 'are you there?');
        const push = await pushEndpoint!.nth(device, 1, 30_000);
        expect(sent.type).to.equal('SEND_ACK');
        expect(push.payload).to.deep.include({ title: 'Ann', body: 'are you there?' });
        expect(push.payload.data).to.deep.include({ type: 'message', sessionId: sent.data.sessionId });
        expect(push.urgency).to.equal('normal');
      } finally {
        await wsA.close();
      }
    });

    it('chats one-to-one across gateways with presence, receipts and recall', async () => {
      const [a, b] = await friends();
      const wsA = await WsClient.connect(gw(1), a.accessToken);
      const wsB = await WsClient.connect(gw(2), b.accessToken);
      try {
        const online = await wsA.next((f) => f.type === 'USER_ONLINE' && f.data.userId === b.userId, 10_000);
        expect(online.data.userId).to.equal(b.userId);
        const sent = await wsA.sendMessage(b.userId, 'hello across gateways');
        expect(sent.type, JSON.stringify(sent)).to.equal('SEND_ACK');
        const [received] = await wsB.waitForMessages(1, (f) => f.data.contentType === 'text');
        expect(received!.data).to.include({ messageId: sent.data.messageId, senderId: a.userId, seq: 1 });
        // The conversation list is a projection fed over pub/sub: it catches up on its own.
        const { sessionId } = sent.data;
        await eventually('session projection', async () => {
          const view = await api().ok<SessionView>('GET', `/api/v1/sessions/${sessionId}`, {
            token: b.accessToken,
          });
          return view.unreadCount === 1 && view.lastMessage?.preview === 'hello across gateways';
        });
        await api().ok('POST', '/api/v1/messages/ack', {
          token: b.accessToken,
          body: { sessionId, messageIds: [sent.data.messageId] },
        });
        const read = await wsA.next((f) => f.type === 'MESSAGE_READ', 10_000);
        expect(read.data).to.include({ sessionId, userId: b.userId });

        const reply = await wsB.sendMessage(a.userId, 'hi back');
        expect(reply.type).to.equal('SEND_ACK');
        await wsA.waitForMessages(1, (f) => f.data.senderId === b.userId);

        await api().ok('POST', `/api/v1/messages/${sent.data.messageId}/recall`, { token: a.accessToken });
        const recalled = await wsB.next((f) => f.type === 'MESSAGE_RECALLED', 10_000);
        expect(recalled.data.messageId).to.equal(sent.data.messageId);

        await wsB.close();
        const offline = await wsA.next(
          (f) => f.type === 'USER_OFFLINE' && f.data.userId === b.userId,
          10_000,
        );
        expect(offline.data.userId).to.equal(b.userId);
      } finally {
        await wsA.close();
        await wsB.close();
      }
    });

    it('sends a photo across sidecars: the recipient on the other gateway renders it and downloads the same bytes from MinIO', async () => {
      const [a, b] = await friends();
      const png = await sharp({ create: { width: 64, height: 40, channels: 3, background: '#aa3300' } })
        .png()
        .toBuffer();
      const uploaded = await uploadSimple(api(), a.accessToken, 'chat_image', {
        bytes: png,
        name: 'photo.png',
      });
      expect(uploaded.body.code, JSON.stringify(uploaded.body)).to.equal(0);
      const wsA = await WsClient.connect(gw(1), a.accessToken);
      const wsB = await WsClient.connect(gw(2), b.accessToken);
      try {
        const sent = await wsA.sendMessage(
          b.userId,
          { fileId: uploaded.body.data.fileId },
          { contentType: 'image' },
        );
        expect(sent.type, JSON.stringify(sent)).to.equal('SEND_ACK');
        const [received] = await wsB.waitForMessages(1, (f) => f.data.contentType === 'image');
        expect(received!.data.content).to.include({
          fileId: uploaded.body.data.fileId,
          width: 64,
          height: 40,
          size: png.length,
          mimeType: 'image/png',
        });
        const view = await api().ok<FileView>('GET', `/api/v1/files/${uploaded.body.data.fileId}`, {
          token: b.accessToken,
        });
        expect(sha256((await download(view.url)).bytes)).to.equal(sha256(png));
      } finally {
        await Promise.all([wsA.close(), wsB.close()]);
      }
    });

    it('chats in a group whose members sit on different gateways, with read receipts', async () => {
      const owner = await registerUser(api());
      const members = [await registerUser(api()), await registerUser(api())];
      await befriendAll(api(), owner, members);
      const { groupId } = await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
        token: owner.accessToken,
        body: { name: 'dapr team', memberIds: members.map((m) => m.userId) },
      });
      const sockets = [
        await WsClient.connect(gw(1), owner.accessToken),
        await WsClient.connect(gw(2), members[0]!.accessToken),
        await WsClient.connect(gw(1), members[1]!.accessToken),
      ];
      try {
        const { ack } = await sendAcknowledged(() => sockets[0]!, groupId, 'hello group', 'group');
        for (const ws of sockets.slice(1)) {
          const [message] = await ws.waitForMessages(1, (f) => f.data.contentType === 'text');
          expect(message!.data).to.include({ messageId: ack.data.messageId, sessionType: 'group' });
        }
        await api().ok('POST', '/api/v1/messages/ack', {
          token: members[0]!.accessToken,
          body: { sessionId: ack.data.sessionId, messageIds: [ack.data.messageId] },
        });
        const receipt = await sockets[0]!.next((f) => f.type === 'GROUP_MESSAGE_READ', 10_000);
        expect(receipt.data).to.include({
          messageId: ack.data.messageId,
          userId: members[0]!.userId,
          readCount: 1,
        });
      } finally {
        for (const ws of sockets) await ws.close();
      }
    });

    it('loses nothing when the message service sidecar is killed and restarted mid-stream', async () => {
      const [a, b] = await friends();
      const wsA = await WsClient.connect(gw(1), a.accessToken);
      const wsB = await WsClient.connect(gw(2), b.accessToken);
      try {
        const total = 30;
        const errors: number[] = [];
        let outage: Promise<void> | undefined;
        for (let n = 1; n <= total; n++) {
          if (n === 10) {
            await cluster.killSidecar('message');
            // Back after a few seconds, while the sender keeps trying.
            outage = sleep(3_000).then(() => cluster.restartSidecar('message'));
          }
          if (broker === 'nats' && n === 20) {
            await outage;
            restartNats();
          }
          const { errors: seen } = await sendAcknowledged(() => wsA, b.userId, `m${n}`);
          errors.push(...seen);
        }
        await outage;
        // The sender was told while the sidecar was down; it retried with the same clientMsgId.
        expect(errors.length, 'sends refused while the sidecar was down').to.be.greaterThan(0);
        const expected = Array.from({ length: total }, (_, i) => `m${i + 1}`);
        await eventually(
          'every acknowledged message at the recipient',
          () => texts(wsB, a.userId).length >= total,
          60_000,
        );
        await sleep(1_000);
        expect(texts(wsB, a.userId)).to.deep.equal(expected);
        // A fresh device of the recipient replays the same, once each, in order.
        const replay = await WsClient.connect(gw(1), b.accessToken, { syncSeq: 0 });
        await replay.waitForMessages(total, (f) => f.data.senderId === a.userId);
        expect(texts(replay, a.userId)).to.deep.equal(expected);
        await replay.close();
        // The conversation list, fed by events the outbox published after the outage, missed none.
        const { sessionId } = (await wsA.sendMessage(b.userId, 'check')).data;
        await eventually('conversation list caught up', async () => {
          const view = await api().ok<SessionView>('GET', `/api/v1/sessions/${sessionId}`, {
            token: b.accessToken,
          });
          return view.lastMessage?.preview === 'check';
        });
        const view = await api().ok<SessionView>('GET', `/api/v1/sessions/${sessionId}`, {
          token: b.accessToken,
        });
        expect(view.unreadCount).to.equal(total + 1);
      } finally {
        await wsA.close();
        await wsB.close();
      }
    });

    it('moves the clients of a SIGKILLed gateway to the other one without loss, duplicates or reordering', async () => {
      const [a, b] = await friends();
      const wsA = await WsClient.connect(gw(1), a.accessToken);
      let wsB = await WsClient.connect(gw(2), b.accessToken);
      try {
        const total = 40;
        const delivered: Frame[] = [];
        let reconnecting: Promise<void> | undefined;
        for (let n = 1; n <= total; n++) {
          if (n === 15) {
            await cluster.killApp('gateway-2');
            // The client notices the dead socket and reconnects to the other gateway with its syncSeq.
            reconnecting = (async () => {
              await wsB.closed();
              delivered.push(...wsB.messages());
              wsB = await WsClient.connect(gw(1), b.accessToken, { syncSeq: wsB.syncSeq });
            })();
          }
          await sendAcknowledged(() => wsA, b.userId, `k${n}`);
        }
        await reconnecting;
        const all = () => [...delivered, ...wsB.messages()].filter((f) => f.data.senderId === a.userId);
        await eventually('all messages after failover', () => all().length >= total, 30_000);
        await sleep(1_000);
        expect(all().map((f) => f.data.content)).to.deep.equal(
          Array.from({ length: total }, (_, i) => `k${i + 1}`),
        );
        expect(all().map((f) => f.data.seq)).to.deep.equal(Array.from({ length: total }, (_, i) => i + 1));
      } finally {
        await wsA.close();
        await wsB.close();
      }
    });

    it('signs in as the identity settings say: a mailed code registers, an OpenID Provider signs in through the ingress, an administrator needs TOTP', async () => {
      // Registration with the code the auth app mailed over SMTP to the test's server.
      const email = `${uniqueAccount('m')}@example.com`;
      await api().ok('POST', '/api/v1/auth/verify-code', { body: { email, purpose: 'register' } });
      expect(mail!.lastTo(email).from).to.equal('no-reply@anychat.test');
      const mailed = await registerUser(api(), { email, verifyCode: mail!.codeFor(email) });
      expect(
        (await api().ok<{ userId: string }>('GET', '/api/v1/users/me', { token: mailed.accessToken })).userId,
      ).to.equal(mailed.userId);

      // Single sign-on: the browser's round trip (start, the provider's login page, callback); the
      // first sign-in creates the account in the user service over service invocation.
      op!.accounts.set(`sub-${broker}`, {
        email: `${uniqueAccount('o')}@example.com`,
        email_verified: true,
        name: 'Olga',
      });
      const { authorizationUrl } = await api().ok<{ authorizationUrl: string }>(
        'POST',
        '/api/v1/auth/oidc/test-op/start',
        { body: { deviceType: 'Web', deviceId: 'browser-1' } },
      );
      const back = await op!.authorize(authorizationUrl, `sub-${broker}`);
      const signedIn = await api().ok<SignedIn>('POST', '/api/v1/auth/oidc/callback', {
        body: {
          state: back.searchParams.get('state'),
          code: back.searchParams.get('code'),
          ...(back.searchParams.get('iss') ? { iss: back.searchParams.get('iss') } : {}),
        },
      });
      const me = await api().ok<{ nickname: string }>('GET', '/api/v1/users/me', {
        token: signedIn.accessToken,
      });
      expect(me.nickname).to.equal('Olga');

      // Administrators' second factor as deployed by default (the suite's apps run with it optional).
      await cluster.killApp('admin');
      await cluster.restartApp('admin', { ADMIN_SECOND_FACTOR: 'required' });
      const username = `totp-${broker}`;
      const password = 'correct horse battery';
      await createAdminAccount(cluster.databaseUrl, { username, password, role: 'operator' });
      const login = (otp?: string) =>
        api().call<{ token: string; recoveryCodes?: string[]; enroll?: { secret: string } }>(
          'POST',
          '/api/v1/admin/auth/login',
          { body: { username, password, ...(otp ? { otp } : {}) } },
        );
      const first = await login();
      expect(first.body.code).to.equal(ErrorCode.SECOND_FACTOR_REQUIRED);
      const secret = first.body.data.enroll!.secret;
      const enrolled = await login(authenticatorCode(secret));
      expect(enrolled.body.code, JSON.stringify(enrolled.body)).to.equal(0);
      expect(enrolled.body.data.recoveryCodes).to.have.length(10);
      expect(
        (await api().call('GET', '/api/v1/admin/auth/me', { token: enrolled.body.data.token })).status,
      ).to.equal(200);
      expect((await login()).body.code).to.equal(ErrorCode.SECOND_FACTOR_REQUIRED);
      const db = new pg.Client({ connectionString: cluster.databaseUrl });
      await db.connect();
      try {
        const { rows } = await db.query<{ totp_secret: string }>(
          'select totp_secret from admin.admin_users where username = $1',
          [username],
        );
        expect(rows[0]!.totp_secret)
          .to.match(/^enc1:/)
          .and.not.include(secret);
      } finally {
        await db.end();
      }
    });

    // Last, so that it covers the start and every test above: nine apps and nine sidecars, sized by
    // dapr.yaml's DATABASE_POOL_MAX and the state components' maxConns, leave PostgreSQL's default
    // 100 connections to the rest of the machine.
    it('holds less than half of PostgreSQL default connection limit from start to here', () => {
      expect(connections!.peak(), 'most connections the cluster held at once').to.be.below(
        CONNECTION_CEILING,
      );
    });
  });
}
