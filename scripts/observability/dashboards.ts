/**
 * The Grafana dashboards shipped with the chart (charts/anychat/files/dashboards/*.json), one per
 * area, made from the panel lists below: `node scripts/observability/dashboards.ts` writes them, and
 * a test checks the files are what this makes and evaluates every query against a real Prometheus.
 * Queries filter by the `namespace` and `imcluster` labels the chart's scrape configuration adds.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SEL = 'namespace=~"$namespace", imcluster=~"$imcluster"';
const RATE = '$__rate_interval';
/** Grafana's data source variable, chosen on the dashboard. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JavaScript template.
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
/** Series of the pods that run a gateway (they export its connection count). */
const GATEWAY_PODS = 'on (namespace, pod) anychat_gateway_connections';

interface Panel {
  title: string;
  description: string;
  /** legend format → PromQL */
  targets: Array<[string, string]>;
  unit?: string;
  kind?: 'timeseries' | 'stat';
}

const rate = (metric: string, extra = '') => `rate(${metric}{${SEL}${extra ? `, ${extra}` : ''}}[${RATE}])`;
const quantile = (q: number, metric: string, by = '', extra = '') =>
  `histogram_quantile(${q}, sum by (${by ? `${by}, ` : ''}le) (${rate(`${metric}_bucket`, extra)}))`;

export const DASHBOARDS: Record<string, { title: string; panels: Panel[] }> = {
  traffic: {
    title: 'AnyChat / Traffic',
    panels: [
      {
        title: 'Messages stored per second',
        description: 'Messages the message service stored, by conversation type.',
        targets: [['{{chat_type}}', `sum by (chat_type) (${rate('anychat_messages_stored_total')})`]],
        unit: 'ops',
      },
      {
        title: 'Messages delivered per second',
        description: 'NEW_MESSAGE frames written to devices (live and replayed).',
        targets: [['delivered', `sum(${rate('anychat_gateway_frames_sent_total', 'type="NEW_MESSAGE"')})`]],
        unit: 'ops',
      },
      {
        title: 'Frames sent per second by type',
        description: 'Every frame the gateways wrote to devices, by frame type.',
        targets: [['{{type}}', `sum by (type) (${rate('anychat_gateway_frames_sent_total')})`]],
        unit: 'ops',
      },
      {
        title: 'HTTP requests per second by route',
        description: 'REST API requests by route pattern.',
        targets: [['{{route}}', `sum by (route) (${rate('anychat_http_request_duration_seconds_count')})`]],
        unit: 'reqps',
      },
      {
        title: 'HTTP server errors',
        description: 'Share of REST requests answered with a 5xx status.',
        targets: [
          [
            '5xx share',
            `1 - sum(${rate('anychat_http_request_duration_seconds_count', 'status!~"5.."')}) / sum(${rate('anychat_http_request_duration_seconds_count')})`,
          ],
        ],
        unit: 'percentunit',
      },
      {
        title: 'Uploads completed per second',
        description: 'Files whose upload completed, by kind.',
        targets: [['{{kind}}', `sum by (kind) (${rate('anychat_file_uploads_completed_total')})`]],
        unit: 'ops',
      },
      {
        title: 'Upload bytes per second',
        description: 'Bytes of completed uploads, by kind.',
        targets: [['{{kind}}', `sum by (kind) (${rate('anychat_file_uploaded_bytes_total')})`]],
        unit: 'Bps',
      },
      {
        title: 'Push attempts per second',
        description: 'Offline push attempts by provider and result.',
        targets: [
          ['{{provider}} {{result}}', `sum by (provider, result) (${rate('anychat_push_attempts_total')})`],
        ],
        unit: 'ops',
      },
    ],
  },
  latency: {
    title: 'AnyChat / Latency',
    panels: [
      {
        title: 'Send → delivery latency',
        description:
          'From the message service accepting a message to its live delivery reaching the recipient gateway.',
        targets: [
          ['p50', quantile(0.5, 'anychat_message_delivery_latency_seconds')],
          ['p90', quantile(0.9, 'anychat_message_delivery_latency_seconds')],
          ['p99', quantile(0.99, 'anychat_message_delivery_latency_seconds')],
        ],
        unit: 's',
      },
      {
        title: 'Deliveries within the 1 s objective',
        description: 'Share of live deliveries that took at most 1 s (the alert fires under 99%).',
        targets: [
          [
            'within 1 s',
            `sum(${rate('anychat_message_delivery_latency_seconds_bucket', 'le=~"1(\\\\.0)?"')}) / sum(${rate('anychat_message_delivery_latency_seconds_count')})`,
          ],
        ],
        unit: 'percentunit',
        kind: 'stat',
      },
      {
        title: 'Delivery latency p99 by conversation type',
        description: 'Group messages fan out to many devices; one-to-one messages to two users.',
        targets: [['{{chat_type}}', quantile(0.99, 'anychat_message_delivery_latency_seconds', 'chat_type')]],
        unit: 's',
      },
      {
        title: 'SendMessage p99 (gateway → message service)',
        description:
          'The service invocation that stores a message, as the gateway sees it (SEND_ACK waits for it).',
        targets: [
          [
            'p99',
            quantile(0.99, 'anychat_invoke_duration_seconds', '', 'method="MessageService/SendMessage"'),
          ],
        ],
        unit: 's',
      },
      {
        title: 'HTTP p99 by route',
        description: 'REST API latency by route pattern.',
        targets: [['{{route}}', quantile(0.99, 'anychat_http_request_duration_seconds', 'route')]],
        unit: 's',
      },
    ],
  },
  delivery: {
    title: 'AnyChat / Delivery health',
    panels: [
      {
        title: 'Redeliveries and acknowledgement timeouts',
        description:
          'NEW_MESSAGE frames resent after 5 s without MESSAGE_ACK, and those left to sync after the resend.',
        targets: [
          ['resent', `sum(${rate('anychat_gateway_redeliveries_total')})`],
          ['left to sync', `sum(${rate('anychat_gateway_ack_timeouts_total')})`],
        ],
        unit: 'ops',
      },
      {
        title: 'Sync replays',
        description:
          'Timeline replays on (re)connect and to fill gaps in the live stream, and the entries they carried.',
        targets: [
          ['{{reason}}', `sum by (reason) (${rate('anychat_gateway_sync_replays_total')})`],
          ['entries replayed', `sum(${rate('anychat_gateway_replayed_frames_total')})`],
        ],
        unit: 'ops',
      },
      {
        title: 'Dropped events (last hour)',
        description: 'Events no subscriber will process: rejected as malformed, or out of delivery attempts.',
        targets: [
          [
            '{{topic}} {{reason}}',
            `sum by (topic, reason) (increase(anychat_pubsub_events_dropped_total{${SEL}}[1h]))`,
          ],
        ],
        unit: 'short',
      },
      {
        title: 'Pub/sub deliveries by answer',
        description: 'SUCCESS, RETRY (a redelivery follows) and DROP answers of the subscribers.',
        targets: [['{{result}}', `sum by (result) (${rate('anychat_pubsub_events_handled_total')})`]],
        unit: 'ops',
      },
      {
        title: 'Outbox publishes',
        description:
          'Events published after their transaction committed, and publishes that failed (the sweep retries).',
        targets: [
          ['published', `sum(${rate('anychat_outbox_events_published_total')})`],
          ['failed', `sum(${rate('anychat_outbox_publish_failures_total')})`],
        ],
        unit: 'ops',
      },
      {
        title: 'Slow clients cut off',
        description: 'Devices disconnected because they did not read their frames fast enough.',
        targets: [['slow clients', `sum(${rate('anychat_gateway_slow_clients_disconnected_total')})`]],
        unit: 'ops',
      },
    ],
  },
  dapr: {
    title: 'AnyChat / Dapr',
    panels: [
      {
        title: 'Service invocations per second',
        description: 'Calls between services (through the Dapr sidecars in a cluster), by target app.',
        targets: [['{{app}}', `sum by (app) (${rate('anychat_invoke_duration_seconds_count')})`]],
        unit: 'ops',
      },
      {
        title: 'Service invocation p99 by target app',
        description: 'Time from the caller through its sidecar, the callee sidecar and the callee, and back.',
        targets: [['{{app}}', quantile(0.99, 'anychat_invoke_duration_seconds', 'app')]],
        unit: 's',
      },
      {
        title: 'Service invocations by outcome',
        description: 'ok, refused (the callee answered a domain error) and error (a fault or no answer).',
        targets: [['{{outcome}}', `sum by (outcome) (${rate('anychat_invoke_duration_seconds_count')})`]],
        unit: 'ops',
      },
      {
        title: 'Slowest contract methods (p99)',
        description: 'The ten contract methods with the highest p99.',
        targets: [['{{method}}', `topk(10, ${quantile(0.99, 'anychat_invoke_duration_seconds', 'method')})`]],
        unit: 's',
      },
      {
        title: 'Pub/sub handler p99 by topic',
        description: 'Time a subscriber took for one delivery (or bulk batch) from the sidecar.',
        targets: [['{{topic}}', quantile(0.99, 'anychat_pubsub_handler_duration_seconds', 'topic')]],
        unit: 's',
      },
    ],
  },
  database: {
    title: 'AnyChat / Database',
    panels: [
      {
        title: 'Pool connections by schema',
        description: 'Connections of each service pool, busy and idle.',
        targets: [['{{schema}} {{state}}', `sum by (schema, state) (anychat_db_pool_connections{${SEL}})`]],
        unit: 'short',
      },
      {
        title: 'Pool usage',
        description: 'Busy connections over the pool size, by schema (1 = every connection in use).',
        targets: [
          [
            '{{schema}}',
            `sum by (schema) (anychat_db_pool_connections{${SEL}, state="busy"}) / sum by (schema) (anychat_db_pool_max_connections{${SEL}})`,
          ],
        ],
        unit: 'percentunit',
      },
      {
        title: 'Queries waiting for a connection',
        description: 'Queries queued because their pool was full.',
        targets: [['{{schema}}', `sum by (schema) (anychat_db_pool_waiting_requests{${SEL}})`]],
        unit: 'short',
      },
      {
        title: 'Message partitions made ahead',
        description:
          'Months after the current one with a messages partition (alert under 1), and the target.',
        targets: [
          ['months ahead', `min(anychat_message_partitions_months_ahead{${SEL}})`],
          ['target', `max(anychat_message_partitions_months_ahead_target{${SEL}})`],
        ],
        unit: 'short',
        kind: 'stat',
      },
      {
        title: 'Message writes per second',
        description:
          'Messages stored (each one a transaction with its sequence numbers and timeline entries).',
        targets: [['stored', `sum(${rate('anychat_messages_stored_total')})`]],
        unit: 'ops',
      },
    ],
  },
  gateways: {
    title: 'AnyChat / Gateways and scaling',
    panels: [
      {
        title: 'Connections per gateway pod',
        description: 'Open WebSocket connections held by each gateway pod (the operator scales on these).',
        targets: [['{{pod}}', `sum by (pod) (anychat_gateway_connections{${SEL}})`]],
        unit: 'short',
      },
      {
        title: 'Connections and users',
        description: 'All gateways together: connected devices and distinct users.',
        targets: [
          ['connections', `sum(anychat_gateway_connections{${SEL}})`],
          ['users', `sum(anychat_gateway_connected_users{${SEL}})`],
        ],
        unit: 'short',
        kind: 'stat',
      },
      {
        title: 'Connects refused',
        description: 'WebSocket connects refused, by reason.',
        targets: [['{{reason}}', `sum by (reason) (${rate('anychat_gateway_connects_refused_total')})`]],
        unit: 'ops',
      },
      {
        title: 'Gateway event loop lag (p99)',
        description:
          'A lagging event loop delays every frame of the pod (the saturation alert fires over 250 ms).',
        targets: [['{{pod}}', `max by (pod) (nodejs_eventloop_lag_p99_seconds{${SEL}} and ${GATEWAY_PODS})`]],
        unit: 's',
      },
      {
        title: 'Memory per connection',
        description: 'Resident memory of each gateway pod over its connections.',
        targets: [
          [
            '{{pod}}',
            `sum by (pod) (process_resident_memory_bytes{${SEL}} and ${GATEWAY_PODS}) / sum by (pod) (anychat_gateway_connections{${SEL}})`,
          ],
        ],
        unit: 'bytes',
      },
      {
        title: 'Operator reconciles',
        description: 'ImCluster reconciles by result (scaling, partitions and rollouts happen in them).',
        targets: [
          [
            '{{result}}',
            `sum by (result) (rate(anychat_operator_reconciles_total{namespace=~"$namespace"}[${RATE}]))`,
          ],
        ],
        unit: 'ops',
      },
      {
        title: 'Operator reconcile p99 and queue',
        description: 'How long a reconcile takes, and the ImClusters waiting for one.',
        targets: [
          [
            'p99',
            `histogram_quantile(0.99, sum by (le) (rate(anychat_operator_reconcile_duration_seconds_bucket{namespace=~"$namespace"}[${RATE}])))`,
          ],
          ['queued', `sum(anychat_operator_queue_depth{namespace=~"$namespace"})`],
        ],
        unit: 's',
      },
    ],
  },
  calls: {
    title: 'AnyChat / Calls and meetings',
    panels: [
      {
        title: 'Calls started per second',
        description: 'Invitations stored and ringing, by call type and conversation type.',
        targets: [
          [
            '{{call_type}} {{chat_type}}',
            `sum by (call_type, chat_type) (${rate('anychat_rtc_calls_started_total')})`,
          ],
        ],
        unit: 'ops',
      },
      {
        title: 'Calls ended by outcome',
        description:
          'answered (and later ended), declined, missed (nobody answered in time), cancelled by the caller.',
        targets: [['{{outcome}}', `sum by (outcome) (${rate('anychat_rtc_calls_ended_total')})`]],
        unit: 'ops',
      },
      {
        title: 'Calls answered',
        description: 'Share of ended calls that someone answered.',
        targets: [
          [
            'answered',
            `sum(${rate('anychat_rtc_calls_ended_total', 'outcome="answered"')}) / sum(${rate('anychat_rtc_calls_ended_total')})`,
          ],
        ],
        unit: 'percentunit',
        kind: 'stat',
      },
      {
        title: 'Call setup failures',
        description:
          'Invitations that failed for a fault (LiveKit or the database unreachable), over all invitations (the alert fires over 5%).',
        targets: [
          [
            'failed share',
            `sum(${rate('anychat_rtc_call_setup_failures_total')}) / (sum(${rate('anychat_rtc_calls_started_total')}) + sum(${rate('anychat_rtc_call_setup_failures_total')}))`,
          ],
        ],
        unit: 'percentunit',
      },
      {
        title: 'Ringing time of answered calls',
        description: 'From the invitation to the first answer.',
        targets: [
          ['p50', quantile(0.5, 'anychat_rtc_call_ringing_duration_seconds')],
          ['p90', quantile(0.9, 'anychat_rtc_call_ringing_duration_seconds')],
        ],
        unit: 's',
      },
      {
        title: 'Talk time of answered calls',
        description: 'From the first answer to the end of the call.',
        targets: [
          ['p50', quantile(0.5, 'anychat_rtc_call_duration_seconds')],
          ['p90', quantile(0.9, 'anychat_rtc_call_duration_seconds')],
        ],
        unit: 's',
      },
      {
        title: 'Calls and meetings now',
        description:
          'Calls ringing and connected, and meetings running (read from the database by each rtc pod).',
        targets: [
          ['calls {{state}}', `max by (state) (anychat_rtc_calls_active{${SEL}})`],
          ['meetings', `max(anychat_rtc_meetings_active{${SEL}})`],
        ],
        unit: 'short',
        kind: 'stat',
      },
      {
        title: 'People in meetings (average)',
        description:
          'Participant-seconds spent in meetings per second: the average number of people in meetings (counted when each leaves).',
        targets: [['participants', `sum(${rate('anychat_rtc_meeting_participant_seconds_total')})`]],
        unit: 'short',
      },
      {
        title: 'Meeting recordings (last hour)',
        description: 'Recordings started, completed (file kept) and failed.',
        targets: [['{{result}}', `sum by (result) (increase(anychat_rtc_recordings_total{${SEL}}[1h]))`]],
        unit: 'short',
      },
    ],
  },
};

function variable(name: string, query: string) {
  return {
    name,
    label: name,
    type: 'query',
    datasource: DATASOURCE,
    query: { query, refId: name },
    definition: query,
    refresh: 2,
    includeAll: true,
    multi: true,
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    sort: 1,
  };
}

/** The Grafana dashboard JSON of one area. */
export function dashboard(area: string): object {
  const { title, panels } = DASHBOARDS[area]!;
  return {
    uid: `anychat-${area}`,
    title,
    tags: ['anychat'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    links: [{ title: 'AnyChat', type: 'dashboards', tags: ['anychat'], asDropdown: true }],
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Data source',
          type: 'datasource',
          query: 'prometheus',
          current: { selected: true, text: 'Prometheus', value: 'prometheus' },
        },
        variable('namespace', 'label_values(anychat_http_request_duration_seconds_count, namespace)'),
        variable(
          'imcluster',
          'label_values(anychat_http_request_duration_seconds_count{namespace=~"$namespace"}, imcluster)',
        ),
      ],
    },
    panels: panels.map((panel, index) => ({
      id: index + 1,
      type: panel.kind ?? 'timeseries',
      title: panel.title,
      description: panel.description,
      datasource: DATASOURCE,
      gridPos: { h: 8, w: 12, x: (index % 2) * 12, y: Math.floor(index / 2) * 8 },
      fieldConfig: { defaults: { unit: panel.unit ?? 'short' }, overrides: [] },
      options:
        panel.kind === 'stat'
          ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false } }
          : { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
      targets: panel.targets.map(([legendFormat, expr], target) => ({
        refId: String.fromCharCode(65 + target),
        datasource: DATASOURCE,
        expr,
        legendFormat,
      })),
    })),
  };
}

export const DASHBOARD_DIR = join(
  import.meta.dirname,
  '..',
  '..',
  'charts',
  'anychat',
  'files',
  'dashboards',
);

/** A dashboard file's text, as written and as the test expects it. */
export const dashboardText = (area: string) => `${JSON.stringify(dashboard(area), null, 2)}\n`;

if (import.meta.main) {
  for (const area of Object.keys(DASHBOARDS))
    writeFileSync(join(DASHBOARD_DIR, `${area}.json`), dashboardText(area));
}
