/** Scheduled messages are kept in the database: a restart loses none and sends none twice. */
import { expect } from 'chai';
import pg from 'pg';
import { type Host, startHost } from '../../services/host.ts';
import { singleSessionId } from '../../services/platform/contracts/index.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { EmbeddedInvoker } from '../../services/platform/ports/embedded/invoke.ts';
import { EmbeddedBus } from '../../services/platform/ports/embedded/pubsub.ts';
import { ApiClient, registerUser } from '../support/api-client.ts';
import { type Backend, createBackend, requirePostgres } from '../support/backends.ts';
import { befriend, sleep, textBody } from '../support/chat.ts';
import { testConfig } from '../support/platform.ts';

for (const backendName of ['postgresql', 'pglite'] as const) {
  describe(`scheduled messages across a restart [${backendName}]`, function () {
    this.timeout(90_000);
    let backend: Backend | undefined;
    let host: Host | undefined;
    let bus: EmbeddedBus | undefined;
    const start = async () => {
      const config = testConfig({ ...backend!.env, MESSAGE_TIMER_SWEEP_MS: '200' });
      bus = new EmbeddedBus(createLogger(config.logLevel));
      host = await startHost({
        config,
        logger: createLogger(config.logLevel),
        bus,
        invoker: new EmbeddedInvoker(),
      });
      return new ApiClient(host.url);
    };
    const stop = async () => {
      await host?.stop();
      bus?.close();
      host = undefined;
    };
    before(async function () {
      if (backendName === 'postgresql') await requirePostgres(this);
      backend = await createBackend(backendName);
    });
    after(async () => {
      await stop();
      await backend?.dispose();
    });

    it('sends a message that fell due while the server was down, once', async () => {
      let api = await start();
      const a = await registerUser(api);
      const b = await registerUser(api);
      await befriend(api, a, b);
      const scheduled = await api.ok<{ scheduleId: string }>('POST', '/api/v1/messages/scheduled', {
        token: a.accessToken,
        body: textBody(b.userId, 'while you were out', { sendAt: Date.now() + 1200 }),
      });
      await stop();
      await sleep(1500);
      api = await start();
      const sessionId = singleSessionId(a.userId, b.userId);
      const history = () =>
        api.ok<{ messages: Array<{ content: unknown }> }>(
          'GET',
          `/api/v1/messages/history?sessionId=${sessionId}`,
          {
            token: b.accessToken,
          },
        );
      let messages: Array<{ content: unknown }> = [];
      for (let i = 0; i < 50 && messages.length === 0; i++) {
        await sleep(100);
        messages = (await history()).messages;
      }
      expect(messages.map((m) => m.content)).to.deep.equal(['while you were out']);

      if (backendName === 'postgresql') {
        // An instance that sent the message and died before recording it leaves its claim behind:
        // once the claim's lease has run out the schedule is taken again, and the send, made with
        // the schedule's own clientMsgId, answers the first message instead of sending another.
        const db = new pg.Client({ connectionString: backend!.env.DATABASE_URL });
        await db.connect();
        try {
          await db.query(
            `update message.scheduled_messages set status = 'sending', message_id = null,
                    claimed_at = now() - interval '5 minutes' where schedule_id = $1`,
            [scheduled.scheduleId],
          );
          let status = 'sending';
          for (let i = 0; i < 50 && status === 'sending'; i++) {
            await sleep(100);
            const { rows } = await db.query(
              'select status from message.scheduled_messages where schedule_id = $1',
              [scheduled.scheduleId],
            );
            status = rows[0].status;
          }
          expect(status).to.equal('sent');
        } finally {
          await db.end();
        }
      }
      await sleep(500);
      expect((await history()).messages).to.have.length(1);
    });
  });
}
