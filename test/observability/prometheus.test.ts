/**
 * The monitoring shipped with the chart, against a real Prometheus (Debian's 2.42, with promtool):
 * the alert rules pass `promtool check rules`; a Prometheus started on loopback scrapes a running
 * platform (its calls on a real LiveKit) and the operator's metrics with the chart's scrape
 * configuration, and every PromQL expression of the dashboards and alerts returns series (no panel
 * or alert reads a metric that does not exist, or labels it does not have).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parse, stringify } from 'yaml';
import { serveOperatorMetrics } from '../../operator/metrics.ts';
import { DASHBOARDS, dashboard } from '../../scripts/observability/dashboards.ts';
import { type PushWorld, startPushWorld, subscribeWebPush } from '../push/support.ts';
import { registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { eventually } from '../support/eventually.ts';
import { ensureLiveKit, type LiveKitServer, startLiveKit } from '../support/livekit.ts';
import { stopProcess, track } from '../support/processes.ts';
import { WsClient } from '../support/ws-client.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const FILES = join(ROOT, 'charts/anychat/files');
const RULES = join(FILES, 'prometheus/rules.yaml');

interface Rule {
  alert: string;
  expr: string;
}

async function ensurePrometheus(): Promise<string> {
  const { stdout } = await run(join(ROOT, 'scripts/test-env/ensure-prometheus.sh'));
  return stdout.trim();
}

/** What a dashboard's variables stand for when everything is selected (Grafana's "All"). */
function asQuery(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$namespace', '.*')
    .replaceAll('$imcluster', '.*');
}

/**
 * An alert's expression with its threshold comparison made a `bool` one: the query then returns
 * its series whether or not the alert would fire now (without traffic that makes it fire).
 */
function asSeriesQuery(expr: string): string {
  const query = expr.trim().replace(/\s(>|<|>=|<=|==|!=)\s*(-?[0-9.]+)$/, ' $1 bool $2');
  if (query === expr.trim()) throw new Error(`alert expression does not end in a threshold: ${expr}`);
  return query;
}

describe('Prometheus: the chart’s rules, scrape configuration and dashboards against a real Prometheus', function () {
  this.timeout(180_000);
  let prometheusPath: string;
  let world: PushWorld | undefined;
  let livekit: LiveKitServer | undefined;
  let operatorMetrics: Server | undefined;
  let prometheus: ChildProcess | undefined;
  let dataDir: string | undefined;
  let prometheusUrl = '';

  before(async function () {
    this.timeout(300_000);
    prometheusPath = await ensurePrometheus();
    await ensureLiveKit();
  });

  after(async () => {
    if (prometheus) await stopProcess(prometheus);
    operatorMetrics?.close();
    await world?.stop();
    await livekit?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('ships alert rules that promtool accepts', async () => {
    const promtool = join(prometheusPath, '..', 'promtool');
    const { stdout } = await run(promtool, ['check', 'rules', RULES]);
    const alerts = (
      parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Rule[] }> }
    ).groups.flatMap((group) => group.rules);
    expect(stdout).to.include(`SUCCESS: ${alerts.length} rules found`);
    expect(alerts.map((rule) => rule.alert)).to.include.members([
      'AnyChatDeliveryLatencySLO',
      'AnyChatEventsDropped',
      'AnyChatGatewaySaturated',
      'AnyChatReconcileFailing',
      'AnyChatPartitionPremakeBehind',
      'AnyChatCallSetupFailing',
    ]);
  });

  it('ships the dashboards the generator makes, one per area', () => {
    const files = readdirSync(join(FILES, 'dashboards')).sort();
    expect(files).to.deep.equal(
      Object.keys(DASHBOARDS)
        .map((area) => `${area}.json`)
        .sort(),
    );
    for (const area of Object.keys(DASHBOARDS))
      expect(JSON.parse(readFileSync(join(FILES, 'dashboards', `${area}.json`), 'utf8')), area).to.deep.equal(
        dashboard(area),
      );
  });

  it('evaluates every dashboard and alert query to series, scraping with the chart’s configuration', async function () {
    await requirePostgres(this);
    this.timeout(180_000);
    livekit = await startLiveKit();
    world = await startPushWorld({ METRICS_PORT: '0', MESSAGE_ALLOW_STRANGERS: 'true', ...livekit.env });
    const { host, api } = world.platform;
    operatorMetrics = await serveOperatorMetrics(0, '127.0.0.1');

    // Traffic for the figures: messages over WebSocket, a receipt, a reconnect that replays, an
    // offline device that gets a Web Push.
    const alice = await registerUser(api);
    const bob = await registerUser(api);
    const carol = await registerUser(api);
    await subscribeWebPush(world, carol, 'carol-browser');
    const aliceWs = await WsClient.connect(host.url, alice.accessToken);
    const bobWs = await WsClient.connect(host.url, bob.accessToken);
    expect((await aliceWs.sendMessage(bob.userId, 'hello')).type).to.equal('SEND_ACK');
    await bobWs.waitForMessages(1);
    const bobSyncSeq = bobWs.syncSeq;
    await bobWs.close();
    expect((await aliceWs.sendMessage(bob.userId, 'while you were away')).type).to.equal('SEND_ACK');
    expect((await aliceWs.sendMessage(carol.userId, 'to your browser')).type).to.equal('SEND_ACK');
    const bobAgain = await WsClient.connect(host.url, bob.accessToken, { syncSeq: bobSyncSeq });
    await bobAgain.waitForMessages(1);
    await world.endpoint.nth('carol-browser', 1);
    // A call on LiveKit, answered and hung up: the calls dashboard's histograms get observations.
    const call = await api.ok<{ callId: string }>('POST', '/api/v1/calls/invite', {
      token: alice.accessToken,
      body: { userId: bob.userId, callType: 'audio' },
    });
    await api.ok('PUT', `/api/v1/calls/${call.callId}/accept`, { token: bob.accessToken });
    await api.ok('PUT', `/api/v1/calls/${call.callId}/hangup`, { token: alice.accessToken });

    // The chart's scrape job, its pod discovery replaced by the two processes as the pods it would
    // find: the discovery's labels are given, the job's relabeling turns them into the series' labels.
    const shipped = parse(readFileSync(join(FILES, 'prometheus/scrape-configs.yaml'), 'utf8')) as {
      scrape_configs: Array<Record<string, unknown>>;
    };
    const pod = (address: string, name: string, component: string, cluster?: string) => ({
      targets: [address],
      labels: {
        __meta_kubernetes_namespace: 'chat',
        __meta_kubernetes_pod_name: name,
        __meta_kubernetes_pod_container_port_name: 'metrics',
        __meta_kubernetes_pod_label_app_kubernetes_io_name: 'anychat',
        __meta_kubernetes_pod_label_app_kubernetes_io_component: component,
        ...(cluster ? { __meta_kubernetes_pod_label_im_anychat_io_cluster: cluster } : {}),
      },
    });
    const platformAddress = new URL(host.metricsUrl!).host;
    const operatorAddress = `127.0.0.1:${(operatorMetrics.address() as AddressInfo).port}`;
    const scrapeConfigs = shipped.scrape_configs.map(({ kubernetes_sd_configs: _, ...job }) => ({
      ...job,
      scrape_interval: '1s',
      scrape_timeout: '1s',
      static_configs: [
        pod(platformAddress, 'chat-core-7d9f-x1', 'core', 'chat'),
        pod(operatorAddress, 'anychat-operator-5c6b-y2', 'operator'),
      ],
    }));
    dataDir = mkdtempSync(join(tmpdir(), 'anychat-prometheus-'));
    writeFileSync(join(dataDir, 'prometheus.yml'), stringify({ global: {}, scrape_configs: scrapeConfigs }));
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    prometheusUrl = `http://127.0.0.1:${port}`;
    prometheus = track(
      spawn(
        prometheusPath,
        [
          `--config.file=${join(dataDir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dataDir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      ),
    );
    let log = '';
    prometheus.stderr!.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
    });
    const query = async (promql: string) => {
      const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as { status: string; error?: string; data: { result: unknown[] } };
      if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
      return body.data.result;
    };
    // Both targets up, and enough scrapes for rates over them.
    await eventually(
      'Prometheus scrapes the platform and the operator',
      async () => (await query('sum(up{job="anychat"}) == 2')).length === 1,
      60_000,
      () => log,
    );
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const [labels] = (await query('anychat_gateway_connections')) as Array<{
      metric: Record<string, string>;
    }>;
    expect(labels!.metric).to.include({
      namespace: 'chat',
      pod: 'chat-core-7d9f-x1',
      component: 'core',
      imcluster: 'chat',
    });

    const empty: string[] = [];
    const expressions = [
      ...Object.keys(DASHBOARDS).flatMap((area) =>
        (
          dashboard(area) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> }
        ).panels.flatMap((panel) =>
          panel.targets.map((target) => ({ where: `${area}: ${panel.title}`, promql: asQuery(target.expr) })),
        ),
      ),
      ...(parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap(
        (group) =>
          group.rules.map((rule) => ({ where: `alert ${rule.alert}`, promql: asSeriesQuery(rule.expr) })),
      ),
    ];
    expect(expressions.length).to.be.greaterThan(40);
    for (const { where, promql } of expressions)
      if ((await query(promql)).length === 0) empty.push(`${where}: ${promql}`);
    expect(empty, `queries without series:\n${empty.join('\n')}`).to.deep.equal([]);
  });
});
