import { expect } from 'chai';
import type WebSocket from 'ws';
import { connect, inBatches, type LoadFrame, register } from '../load/support.ts';
import { requirePostgres } from '../support/backends.ts';
import { eventually } from '../support/eventually.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';

/**
 * Users of the load: enough that a user id in any label would show as a thousand series (kept to
 * a thousand: each registration hashes a password, seconds of CPU per hundred on a loaded machine).
 */
const USERS = 1000;
/**
 * Users of the warm-up: they go through the same steps first, so that every series the steps touch
 * exists before the load. The load must then add almost none.
 */
const WARM_UP_USERS = 10;
/**
 * Series the load may still add: a label set the warm-up happened not to reach (an outcome, a
 * histogram's 14 lines) — a few, never one per user.
 */
const MAX_NEW_SERIES = 100;

/** `name{labels} value` lines of a Prometheus text exposition (one per series). */
function seriesOf(text: string) {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      return { name: match[1]!, labels: match[2] ?? '', value: Number(match[3]) };
    });
}
type Series = ReturnType<typeof seriesOf>;

/** The sum of a family's series whose labels include `labels`. */
const sumOf = (series: Series, name: string, labels = '') =>
  series.filter((s) => s.name === name && s.labels.includes(labels)).reduce((sum, s) => sum + s.value, 0);

describe('metrics: bounded cardinality under a load of many users', function () {
  this.timeout(600_000);
  let platform: TestPlatform | undefined;
  const sockets: WebSocket[] = [];

  before(async function () {
    await requirePostgres(this);
    platform = await startPlatform('postgresql', {
      METRICS_PORT: '0',
      MESSAGE_ALLOW_STRANGERS: 'true',
      RATE_LIMIT_FACTOR: '10000',
    });
  });

  after(async () => {
    for (const ws of sockets) ws.terminate();
    await platform?.stop();
  });

  const scrape = async () => seriesOf(await (await fetch(platform!.host.metricsUrl!)).text());

  /**
   * `count` new users register, connect, and each writes to the next one, waiting for its answer
   * (50 at a time, as clients do): every user id is a sender and a recipient once.
   */
  async function chatRound(count: number, prefix: string) {
    const url = platform!.host.url;
    const users: Array<{ userId: string; accessToken: string }> = [];
    await inBatches(count, async (index) => {
      users[index] = await register(url, `${prefix}${index}`);
    });
    const delivered = new Set<string>();
    const answers = new Map<string, (frame: LoadFrame) => void>();
    const round: WebSocket[] = [];
    await inBatches(count, async (index) => {
      const ws = await connect(url, users[index]!.accessToken, (frame: LoadFrame) => {
        if ((frame.type === 'SEND_ACK' || frame.type === 'ERROR') && frame.msgId)
          answers.get(frame.msgId)?.(frame);
        if (frame.type !== 'NEW_MESSAGE' || !frame.data) return;
        delivered.add(frame.data.messageId);
        ws.send(JSON.stringify({ type: 'MESSAGE_ACK', data: { messageIds: [frame.data.messageId] } }));
      });
      round[index] = ws;
      sockets.push(ws);
    });
    await inBatches(count, async (index) => {
      const msgId = `${prefix}m${index}`;
      const answer = new Promise<LoadFrame>((resolve) => answers.set(msgId, resolve));
      round[index]!.send(
        JSON.stringify({
          type: 'SEND_MESSAGE',
          msgId,
          data: {
            sessionType: 'single',
            targetId: users[(index + 1) % count]!.userId,
            contentType: 'text',
            content: `hello ${index}`,
          },
        }),
      );
      expect((await answer).type, `answer to ${msgId}`).to.equal('SEND_ACK');
    });
    await eventually(`every message of ${prefix} delivered`, () => delivered.size === count, 180_000);
    return users;
  }

  it(`adds no series per user with ${USERS} users connected and messaging`, async () => {
    const run = Date.now().toString(36);
    await chatRound(WARM_UP_USERS, `warm${run}`);
    // Series and counters belong to the process, which earlier suites of a whole run shared: the
    // load is measured against what the warm-up left, not against an absolute count.
    const warm = await scrape();
    const users = await chatRound(USERS, `card${run}`);
    const series = await scrape();
    const grown = (name: string, labels = '') => sumOf(series, name, labels) - sumOf(warm, name, labels);

    // The figures tell what happened …
    expect(sumOf(series, 'anychat_gateway_connections')).to.equal(WARM_UP_USERS + USERS);
    expect(sumOf(series, 'anychat_gateway_connected_users')).to.equal(WARM_UP_USERS + USERS);
    expect(grown('anychat_messages_stored_total', 'chat_type="single"')).to.equal(USERS);
    expect(grown('anychat_gateway_frames_sent_total', 'type="NEW_MESSAGE"')).to.be.at.least(USERS);
    expect(grown('anychat_message_delivery_latency_seconds_count')).to.be.at.least(USERS);
    expect(
      grown('anychat_invoke_duration_seconds_count', 'method="MessageService/SendMessage"'),
    ).to.be.at.least(USERS);
    expect(grown('anychat_pubsub_events_handled_total', 'topic="gateway.deliver"')).to.be.greaterThan(0);
    expect(sumOf(series, 'anychat_db_pool_max_connections', 'schema="message"')).to.be.greaterThan(0);
    // … and no user, device or message id is a label value …
    const labels = series.map((s) => s.labels).join('\n');
    for (const user of users) expect(labels).not.to.include(user.userId);
    // … so a hundred times the users add (almost) no series, in any family.
    const before = new Set(warm.map((s) => `${s.name}${s.labels}`));
    const added = series
      .filter((s) => !before.has(`${s.name}${s.labels}`))
      .map((s) => `${s.name}${s.labels}`);
    expect(added.length, `series added by the load:\n${added.slice(0, 50).join('\n')}`).to.be.at.most(
      MAX_NEW_SERIES,
    );
  });
});
