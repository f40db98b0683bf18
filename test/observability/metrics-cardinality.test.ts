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
 * The bound on series after the load. The platform's own families have a few hundred series (HTTP
 * routes x methods x statuses, contract methods, topics, histogram buckets); thousands of users
 * must not add to them.
 */
const MAX_SERIES = 2500;
const MAX_FAMILY_SERIES = 600;

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

  /** The sum of a family's series whose labels include `labels`. */
  const sumOf = (series: ReturnType<typeof seriesOf>, name: string, labels = '') =>
    series.filter((s) => s.name === name && s.labels.includes(labels)).reduce((sum, s) => sum + s.value, 0);

  it(`keeps the series count under ${MAX_SERIES} with ${USERS} users connected and messaging`, async () => {
    const url = platform!.host.url;
    const metricsUrl = platform!.host.metricsUrl!;
    const run = Date.now().toString(36);
    const users: Array<{ userId: string; accessToken: string }> = [];
    await inBatches(USERS, async (index) => {
      users[index] = await register(url, `card${run}${index}`);
    });
    const delivered = new Set<string>();
    const answers = new Map<string, (frame: LoadFrame) => void>();
    await inBatches(USERS, async (index) => {
      const ws = await connect(url, users[index]!.accessToken, (frame: LoadFrame) => {
        if ((frame.type === 'SEND_ACK' || frame.type === 'ERROR') && frame.msgId)
          answers.get(frame.msgId)?.(frame);
        if (frame.type !== 'NEW_MESSAGE' || !frame.data) return;
        delivered.add(frame.data.messageId);
        ws.send(JSON.stringify({ type: 'MESSAGE_ACK', data: { messageIds: [frame.data.messageId] } }));
      });
      sockets[index] = ws;
    });
    // Counters belong to the process, which earlier suites of a whole run shared: counted from here.
    const storedBefore = sumOf(
      seriesOf(await (await fetch(metricsUrl)).text()),
      'anychat_messages_stored_total',
      'chat_type="single"',
    );
    // Every user writes to the next one: every user id is a sender and a recipient once. Each send
    // waits for its answer (50 at a time), as a client does.
    await inBatches(USERS, async (index) => {
      const msgId = `m${index}`;
      const answer = new Promise<LoadFrame>((resolve) => answers.set(msgId, resolve));
      sockets[index]!.send(
        JSON.stringify({
          type: 'SEND_MESSAGE',
          msgId,
          data: {
            sessionType: 'single',
            targetId: users[(index + 1) % USERS]!.userId,
            contentType: 'text',
            content: `hello ${index}`,
          },
        }),
      );
      expect((await answer).type, `answer to ${msgId}`).to.equal('SEND_ACK');
    });
    await eventually('every message delivered', () => delivered.size === USERS, 180_000);

    const text = await (await fetch(metricsUrl)).text();
    const series = seriesOf(text);
    const value = (name: string, labels = '') => sumOf(series, name, labels);

    // The figures tell what happened …
    expect(value('anychat_gateway_connections')).to.equal(USERS);
    expect(value('anychat_gateway_connected_users')).to.equal(USERS);
    expect(value('anychat_messages_stored_total', 'chat_type="single"') - storedBefore).to.equal(USERS);
    expect(value('anychat_gateway_frames_sent_total', 'type="NEW_MESSAGE"')).to.be.at.least(USERS);
    expect(value('anychat_message_delivery_latency_seconds_count')).to.be.at.least(USERS);
    expect(
      value('anychat_invoke_duration_seconds_count', 'method="MessageService/SendMessage"'),
    ).to.be.at.least(USERS);
    expect(value('anychat_pubsub_events_handled_total', 'topic="gateway.deliver"')).to.be.greaterThan(0);
    expect(value('anychat_db_pool_max_connections', 'schema="message"')).to.be.greaterThan(0);
    // … and no user, device or message id is a label value.
    const labels = series.map((s) => s.labels).join('\n');
    for (const user of users) expect(labels).not.to.include(user.userId);
    expect(series.length, `${series.length} series`).to.be.below(MAX_SERIES);
    const families = new Map<string, number>();
    for (const { name } of series) {
      const family = name.replace(/_(bucket|sum|count)$/, '');
      families.set(family, (families.get(family) ?? 0) + 1);
    }
    // No family grows with the users either (the largest are histograms by route or contract method).
    for (const [family, count] of families) expect(count, family).to.be.below(MAX_FAMILY_SERIES);
  });
});
