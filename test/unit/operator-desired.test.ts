import { expect } from 'chai';
import {
  desiredChildren,
  ingress,
  METRICS_PORT,
  migrationJob,
  migrationJobName,
  workloads,
} from '../../operator/desired.ts';
import { GatewayScaler } from '../../operator/scaling.ts';
import type { ImCluster, ImClusterSpec } from '../../operator/spec.ts';

/** An ImCluster as the API server hands it over: every default filled in. */
function cluster(overrides: Partial<ImClusterSpec> = {}): ImCluster {
  return {
    apiVersion: 'im.anychat.io/v1alpha1',
    kind: 'ImCluster',
    metadata: { name: 'chat', namespace: 'ns', uid: 'u1', generation: 1 },
    spec: {
      image: { repository: 'anychat', tag: '1.0.0', pullPolicy: 'IfNotPresent' },
      version: '1.0.0',
      mode: 'microservices',
      services: {},
      gateway: {
        replicas: 2,
        webClient: true,
        autoscaling: {
          enabled: false,
          minReplicas: 2,
          maxReplicas: 10,
          targetConnectionsPerPod: 5000,
          scaleDownStabilizationSeconds: 300,
        },
      },
      dapr: {
        pubsub: { type: 'redis', streamName: 'ANYCHAT' },
        stateStore: { type: 'postgresql', maxConns: 4 },
        logLevel: 'info',
        tracing: { samplingRate: '0' },
      },
      database: { secretRef: { name: 'db', key: 'url' } },
      messages: { partitionInterval: 'monthly', monthsAhead: 3, expiredPartitions: 'detach' },
      auth: {},
      ...overrides,
    },
  };
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

/** The children desired for a cluster, and what the tests read of them: the ConfigMap's data and a workload's container env. */
function rendered(overrides: Partial<ImClusterSpec> = {}) {
  const children = desiredChildren(cluster(overrides));
  const config = (children.find((o) => o.kind === 'ConfigMap') as unknown as { data: Record<string, string> })
    .data;
  const envOf = (workload: string) =>
    (
      children.find((o) => o.kind === 'Deployment' && o.metadata.name === `chat-${workload}`) as unknown as {
        spec: { template: { spec: { containers: Array<{ env: EnvVar[] }> } } };
      }
    ).spec.template.spec.containers[0]!.env;
  return { children, config, envOf };
}

/** Files on S3 (MinIO), credentials in a Secret. */
const OBJECT_STORAGE: ImClusterSpec['objectStorage'] = {
  endpoint: 'http://minio.storage:9000',
  region: 'us-east-1',
  bucketPrefix: 'chat-',
  accessKeyRef: { name: 's3', key: 'access' },
  secretKeyRef: { name: 's3', key: 'secret' },
};

interface PodSpec {
  securityContext: { runAsNonRoot: boolean; runAsUser: number; seccompProfile: unknown };
  containers: Array<{ securityContext: unknown; env?: Array<{ name: string; value?: string }> }>;
}

describe('operator: desired objects', () => {
  it('packs every service but the gateway into one Deployment in consolidated mode', () => {
    const list = workloads(
      cluster({ mode: 'consolidated', services: { auth: { enabled: true, replicas: 3 } } }),
    );
    expect(list.map((w) => w.workload)).to.deep.equal(['core', 'gateway']);
    expect(list[0]!.services).to.deep.equal([
      'auth',
      'user',
      'friend',
      'group',
      'session',
      'file',
      'message',
      'admin',
      'push',
      'rtc',
    ]);
    expect(list[0]!.replicas).to.equal(3);
    const core = desiredChildren(cluster({ mode: 'consolidated' })).find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'chat-core',
    ) as { spec: { template: { metadata: { annotations: Record<string, string> } } } } | undefined;
    expect(core?.spec.template.metadata.annotations['dapr.io/app-id']).to.equal('core');
  });

  it('hands the file service its object store: settings in the config, credentials to the file pods only', () => {
    const { config, envOf } = rendered({ objectStorage: OBJECT_STORAGE });
    expect(config).to.include({
      FILE_STORAGE: 's3',
      FILE_S3_ENDPOINT: 'http://minio.storage:9000',
      FILE_BUCKET_PREFIX: 'chat-',
    });
    expect(envOf('file')).to.deep.include({
      name: 'FILE_S3_SECRET_KEY',
      valueFrom: { secretKeyRef: { name: 's3', key: 'secret' } },
    });
    expect(envOf('message').map((e) => e.name)).not.to.include('FILE_S3_SECRET_KEY');
    expect(rendered().config).not.to.have.property('FILE_STORAGE');
  });

  it('hands the push service its providers: plain settings in the config, credentials to the push pods only', () => {
    const { config, envOf } = rendered({
      push: {
        vapid: {
          subject: 'mailto:ops@example.com',
          publicKeyRef: { name: 'push', key: 'vapid-public' },
          privateKeyRef: { name: 'push', key: 'vapid-private' },
        },
        fcm: { serviceAccountRef: { name: 'push', key: 'fcm.json' } },
        apns: {
          keyRef: { name: 'push', key: 'apns.p8' },
          keyId: 'K1',
          teamId: 'T1',
          topic: 'io.app',
          sandbox: true,
        },
        webhooksRef: { name: 'push', key: 'webhooks' },
      },
    });
    expect(config).to.include({
      PUSH_VAPID_SUBJECT: 'mailto:ops@example.com',
      PUSH_APNS_KEY_ID: 'K1',
      PUSH_APNS_TEAM_ID: 'T1',
      PUSH_APNS_TOPIC: 'io.app',
      PUSH_APNS_ENDPOINT: 'https://api.sandbox.push.apple.com',
    });
    expect(Object.values(config).join(' ')).not.to.match(/vapid-private|apns\.p8/);
    const secrets = envOf('push').filter((e) => e.name.startsWith('PUSH_'));
    expect(secrets).to.deep.equal([
      { name: 'PUSH_VAPID_PUBLIC_KEY', valueFrom: { secretKeyRef: { name: 'push', key: 'vapid-public' } } },
      { name: 'PUSH_VAPID_PRIVATE_KEY', valueFrom: { secretKeyRef: { name: 'push', key: 'vapid-private' } } },
      { name: 'PUSH_FCM_SERVICE_ACCOUNT', valueFrom: { secretKeyRef: { name: 'push', key: 'fcm.json' } } },
      { name: 'PUSH_APNS_KEY', valueFrom: { secretKeyRef: { name: 'push', key: 'apns.p8' } } },
      { name: 'PUSH_WEBHOOK_PROVIDERS', valueFrom: { secretKeyRef: { name: 'push', key: 'webhooks' } } },
    ]);
    expect(
      envOf('message')
        .map((e) => e.name)
        .filter((n) => n.startsWith('PUSH_')),
    ).to.deep.equal([]);
  });

  it('hands the rtc service LiveKit: URL and key in the config, the secret to the rtc pods only', () => {
    const { config, envOf } = rendered({
      livekit: {
        url: 'wss://livekit.example.com',
        apiUrl: 'http://livekit.livekit:7880',
        apiKey: 'anychat',
        apiSecretRef: { name: 'livekit', key: 'secret' },
      },
    });
    expect(config).to.include({
      LIVEKIT_URL: 'wss://livekit.example.com',
      LIVEKIT_API_URL: 'http://livekit.livekit:7880',
      LIVEKIT_API_KEY: 'anychat',
    });
    expect(envOf('rtc').filter((e) => e.name === 'LIVEKIT_API_SECRET')).to.deep.equal([
      { name: 'LIVEKIT_API_SECRET', valueFrom: { secretKeyRef: { name: 'livekit', key: 'secret' } } },
    ]);
    expect(envOf('message').map((e) => e.name)).not.to.include('LIVEKIT_API_SECRET');
  });

  it('with LiveKit Egress, the rtc pods also get the object store credentials Egress writes recordings with', () => {
    const { config, envOf } = rendered({
      objectStorage: OBJECT_STORAGE,
      livekit: {
        url: 'wss://livekit.example.com',
        apiKey: 'anychat',
        apiSecretRef: { name: 'livekit', key: 'secret' },
        egress: true,
        egressS3Endpoint: 'http://minio.storage.svc:9000',
      },
    });
    expect(config).to.include({
      LIVEKIT_EGRESS: 'enabled',
      LIVEKIT_EGRESS_S3_ENDPOINT: 'http://minio.storage.svc:9000',
    });
    for (const workload of ['rtc', 'file'])
      expect(
        envOf(workload)
          .map((e) => e.name)
          .filter((n) => n.startsWith('FILE_S3_')),
      ).to.deep.equal(['FILE_S3_ACCESS_KEY', 'FILE_S3_SECRET_KEY']);
    expect(envOf('message').map((e) => e.name)).not.to.include('FILE_S3_SECRET_KEY');
  });

  it('hands the auth service SMTP, SMS and OIDC settings, with the credentials to the auth pods only', () => {
    const { config, envOf } = rendered({
      identity: {
        smtp: {
          host: 'smtp.example.com',
          port: 465,
          tls: 'implicit',
          from: 'AnyChat <no-reply@example.com>',
          user: 'mailer',
          passwordRef: { name: 'identity', key: 'smtp-password' },
        },
        sms: { url: 'https://sms.example.com/send', tokenRef: { name: 'identity', key: 'sms-token' } },
        oidc: {
          providers: [
            {
              id: 'zitadel',
              name: 'ZITADEL',
              issuer: 'https://id.example.com',
              clientId: 'chat',
              clientSecretRef: { name: 'identity', key: 'zitadel-secret' },
            },
          ],
        },
        adminSecondFactor: 'required',
        totpKeysRef: { name: 'identity', key: 'totp-keys' },
      },
    });
    expect(config).to.include({
      SMTP_HOST: 'smtp.example.com',
      SMTP_PORT: '465',
      SMTP_TLS: 'implicit',
      SMTP_USER: 'mailer',
      SMS_HTTP_URL: 'https://sms.example.com/send',
      ADMIN_SECOND_FACTOR: 'required',
    });
    expect(JSON.parse(config.OIDC_PROVIDERS!)).to.deep.equal([
      { id: 'zitadel', name: 'ZITADEL', issuer: 'https://id.example.com', clientId: 'chat' },
    ]);
    const secretNames = (workload: string) =>
      envOf(workload)
        .filter((e) => /^(SMTP_|SMS_|OIDC_)/.test(e.name))
        .map((e) => e.name);
    expect(secretNames('auth')).to.deep.equal([
      'SMTP_PASSWORD',
      'SMS_HTTP_TOKEN',
      'OIDC_CLIENT_SECRET_ZITADEL',
    ]);
    expect(envOf('auth')).to.deep.include({
      name: 'OIDC_CLIENT_SECRET_ZITADEL',
      valueFrom: { secretKeyRef: { name: 'identity', key: 'zitadel-secret' } },
    });
    expect(secretNames('message')).to.deep.equal([]);
    // The keys sealing TOTP secrets: where users' (auth) and administrators' (admin) are read.
    const totpKeys = {
      name: 'TOTP_ENCRYPTION_KEYS',
      valueFrom: { secretKeyRef: { name: 'identity', key: 'totp-keys' } },
    };
    expect(envOf('auth')).to.deep.include(totpKeys);
    expect(envOf('admin')).to.deep.include(totpKeys);
    expect(envOf('message').map((e) => e.name)).not.to.include('TOTP_ENCRYPTION_KEYS');
    expect(secretNames('admin')).to.deep.equal([]);
  });

  it('leaves out disabled services and the ingress without a host; Components read their Secrets', () => {
    const children = desiredChildren(cluster({ services: { friend: { enabled: false, replicas: 1 } } }));
    const names = children.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).not.to.include('Deployment/chat-friend');
    expect(names).to.include('Deployment/chat-user');
    expect(ingress(cluster())).to.equal(undefined);
    const state = children.find(
      (o) => o.kind === 'Component' && o.metadata.name === 'statestore',
    ) as unknown as {
      spec: { type: string; metadata: Array<Record<string, unknown>> };
    };
    expect(state.spec.type).to.equal('state.postgresql');
    // No state Secret named: the database Secret is used.
    expect(state.spec.metadata).to.deep.include({
      name: 'connectionString',
      secretKeyRef: { name: 'db', key: 'url' },
    });
    // The sidecar's pool is the spec's, not Dapr's default that grows with the node's CPU count.
    expect(state.spec.metadata).to.deep.include({ name: 'maxConns', value: '4' });
  });

  it("sends the sidecars' spans to an OTLP receiver when the spec names one, and only then", () => {
    const configuration = (spec: ImClusterSpec['dapr']['tracing']) =>
      desiredChildren(
        cluster({
          dapr: { ...cluster().spec.dapr, tracing: spec },
        }),
      ).find((o) => o.kind === 'Configuration') as unknown as { spec: { tracing: Record<string, unknown> } };
    expect(configuration({ samplingRate: '0' }).spec.tracing).to.deep.equal({ samplingRate: '0' });
    expect(
      configuration({
        samplingRate: '1',
        otlp: { endpoint: 'jaeger-collector.observability:4317', protocol: 'grpc', secure: false },
      }).spec.tracing,
    ).to.deep.equal({
      samplingRate: '1',
      otel: { endpointAddress: 'jaeger-collector.observability:4317', protocol: 'grpc', isSecure: false },
    });
  });

  it("spec.observability.tracing: the apps' OTel environment and the sidecars' otel exporter, one endpoint and rate", () => {
    const traced = cluster({
      observability: {
        tracing: { endpoint: 'http://jaeger-collector.observability:4318', samplingRate: '0.25' },
      },
    });
    const children = desiredChildren(traced);
    const deployments = children.filter((o) => o.kind === 'Deployment') as unknown as Array<{
      spec: { template: { spec: PodSpec } };
    }>;
    expect(deployments.length).to.be.greaterThan(1);
    for (const deployment of deployments) {
      const env = deployment.spec.template.spec.containers[0]!.env ?? [];
      expect(env).to.deep.include({
        name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
        value: 'http://jaeger-collector.observability:4318',
      });
      expect(env).to.deep.include({ name: 'OTEL_TRACES_SAMPLER_ARG', value: '0.25' });
    }
    const configuration = children.find((o) => o.kind === 'Configuration') as unknown as {
      spec: { tracing: Record<string, unknown> };
    };
    expect(configuration.spec.tracing).to.deep.equal({
      samplingRate: '0.25',
      otel: { endpointAddress: 'jaeger-collector.observability:4318', protocol: 'http', isSecure: false },
    });
    // https: secure, the default port; without the field no OTel variable reaches a pod.
    const secure = desiredChildren(
      cluster({ observability: { tracing: { endpoint: 'https://otel.example.com', samplingRate: '1' } } }),
    ).find((o) => o.kind === 'Configuration') as unknown as { spec: { tracing: { otel: unknown } } };
    expect(secure.spec.tracing.otel).to.deep.equal({
      endpointAddress: 'otel.example.com:443',
      protocol: 'http',
      isSecure: true,
    });
    const plain = desiredChildren(cluster()).filter((o) => o.kind === 'Deployment') as unknown as Array<{
      spec: { template: { spec: PodSpec } };
    }>;
    for (const deployment of plain)
      expect((deployment.spec.template.spec.containers[0]!.env ?? []).map((e) => e.name)).to.not.include(
        'OTEL_EXPORTER_OTLP_ENDPOINT',
      );
  });

  it('serves metrics on a port of their own that pods announce and Services expose, never the ingress', () => {
    const { children, config } = rendered();
    expect(config.METRICS_PORT).to.equal(String(METRICS_PORT));
    const deployments = children.filter((o) => o.kind === 'Deployment') as unknown as Array<{
      spec: {
        template: {
          metadata: { annotations: Record<string, string> };
          spec: { containers: Array<{ ports: Array<{ name: string; containerPort: number }> }> };
        };
      };
    }>;
    expect(deployments).to.have.length(11);
    for (const { spec } of deployments) {
      expect(spec.template.spec.containers[0]!.ports).to.deep.include({
        name: 'metrics',
        containerPort: METRICS_PORT,
      });
      expect(spec.template.metadata.annotations).to.include({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(METRICS_PORT),
        'prometheus.io/path': '/metrics',
      });
    }
    const services = children.filter((o) => o.kind === 'Service') as unknown as Array<{
      spec: { ports: Array<{ name: string; port: number; targetPort: string }> };
    }>;
    for (const { spec } of services)
      expect(spec.ports).to.deep.include({ name: 'metrics', port: METRICS_PORT, targetPort: 'metrics' });
    const routed = ingress(
      cluster({
        gateway: {
          ...cluster().spec.gateway,
          ingress: { host: 'chat.example.com', wsPath: '/ws', apiPath: '/api' },
        },
      }),
    ) as unknown as {
      spec: {
        rules: Array<{ http: { paths: Array<{ backend: { service: { port: { name: string } } } }> } }>;
      };
    };
    const ports = routed.spec.rules[0]!.http.paths.map((path) => path.backend.service.port.name);
    expect(new Set(ports)).to.deep.equal(new Set(['http']));
  });

  it("routes the WebSocket path and the frames' AsyncAPI document to the gateways, each API prefix to its service", () => {
    const routed = ingress(
      cluster({
        gateway: {
          ...cluster().spec.gateway,
          ingress: { host: 'chat.example.com', wsPath: '/ws', apiPath: '/api/' },
        },
      }),
    ) as unknown as {
      spec: {
        rules: Array<{ http: { paths: Array<{ path: string; backend: { service: { name: string } } }> } }>;
      };
    };
    const routes = Object.fromEntries(
      routed.spec.rules[0]!.http.paths.map((p) => [p.path, p.backend.service.name]),
    );
    expect(routes['/ws']).to.match(/gateway$/);
    expect(routes['/api/v1/asyncapi.json']).to.match(/gateway$/);
    expect(routes['/api/v1/messages'])
      .to.be.a('string')
      .and.not.match(/gateway$/);
    expect(routes['/api/v1/files']).to.equal('chat-file');
  });

  it('has the gateways serve the web client and the ingress send them every other path, unless turned off', () => {
    const withIngress = (webClient: boolean) =>
      cluster({
        gateway: {
          ...cluster().spec.gateway,
          webClient,
          ingress: { host: 'chat.example.com', wsPath: '/ws', apiPath: '/api' },
        },
      });
    type Routed = {
      spec: {
        rules: Array<{ http: { paths: Array<{ path: string; backend: { service: { name: string } } }> } }>;
      };
    };
    const rootRoute = (webClient: boolean) =>
      (ingress(withIngress(webClient)) as unknown as Routed).spec.rules[0]!.http.paths.find(
        (p) => p.path === '/',
      );
    expect(rootRoute(true)?.backend.service.name).to.equal('chat-gateway');
    expect(rootRoute(false)).to.equal(undefined);
    const webClientEnv = (webClient: boolean) =>
      Object.fromEntries(
        desiredChildren(withIngress(webClient))
          .filter((o) => o.kind === 'Deployment')
          .map((o) => {
            const container = (o as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec
              .containers[0]!;
            return [o.metadata.name, container.env?.find((e) => e.name === 'WEB_CLIENT')?.value];
          }),
      );
    expect(webClientEnv(true)['chat-gateway']).to.equal('true');
    expect(webClientEnv(false)['chat-gateway']).to.equal('false');
    // Other workloads leave it unset: only where the whole API is served is it on by default.
    expect(Object.entries(webClientEnv(true)).filter(([, value]) => value !== undefined)).to.have.length(1);
  });

  it('names the migration Job after its version and pod template: a new image under one version is a new Job', () => {
    const base = cluster();
    expect(migrationJobName(base)).to.match(/^chat-migrate-1-0-0-[0-9a-f]{8}$/);
    expect(migrationJobName(cluster())).to.equal(migrationJobName(base));
    expect(migrationJob(base).metadata.name).to.equal(migrationJobName(base));
    // A Job's template cannot change once created (422 on every apply): a new one runs instead.
    const patched = cluster({ image: { ...base.spec.image, tag: '1.0.0-hotfix' } });
    expect(migrationJobName(patched)).to.not.equal(migrationJobName(base));
    expect(migrationJobName(patched)).to.match(/^chat-migrate-1-0-0-/);
    const otherSecret = cluster({ database: { secretRef: { name: 'db', key: 'other' } } });
    expect(migrationJobName(otherSecret)).to.not.equal(migrationJobName(base));
  });

  it('runs every pod as Pod Security "restricted" admits it: non-root by number, no privilege escalation, no capabilities', () => {
    const pods = desiredChildren(cluster())
      .filter((o) => o.kind === 'Deployment' || o.kind === 'Job')
      .map((o) => (o as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec);
    expect(pods.length).to.be.greaterThan(1);
    for (const pod of pods) {
      expect(pod.securityContext).to.deep.include({ runAsNonRoot: true, runAsUser: 1000 });
      expect(pod.securityContext.seccompProfile).to.deep.equal({ type: 'RuntimeDefault' });
      for (const container of pod.containers)
        expect(container.securityContext).to.deep.equal({
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
    }
  });

  it("trusts the ingress's forwarded addresses only as the spec says", () => {
    const configOf = (trustedProxies?: string) =>
      rendered({
        gateway: {
          ...cluster().spec.gateway,
          ingress: {
            host: 'chat.example.com',
            wsPath: '/ws',
            apiPath: '/api',
            ...(trustedProxies === undefined ? {} : { trustedProxies }),
          },
        },
      }).config;
    expect(configOf('10.42.0.0/16')).to.include({ TRUSTED_PROXIES: '10.42.0.0/16' });
    expect(configOf('')).not.to.have.property('TRUSTED_PROXIES');
    expect(configOf()).not.to.have.property('TRUSTED_PROXIES');
    expect(rendered().config).not.to.have.property('TRUSTED_PROXIES');
  });

  it('takes the gateway replicas the scaler decided when autoscaling', () => {
    const autoscaled = cluster();
    autoscaled.spec.gateway.autoscaling.enabled = true;
    expect(workloads(autoscaled).find((w) => w.workload === 'gateway')!.replicas).to.equal(2);
    expect(
      workloads(autoscaled, { gatewayReplicas: 7 }).find((w) => w.workload === 'gateway')!.replicas,
    ).to.equal(7);
  });
});

describe('operator: gateway scaler', () => {
  const autoscaling = {
    enabled: true,
    minReplicas: 2,
    maxReplicas: 6,
    targetConnectionsPerPod: 1000,
    scaleDownStabilizationSeconds: 60,
  };

  it('scales up at once, within min and max', () => {
    const scaler = new GatewayScaler();
    expect(scaler.recommend('a', 0, autoscaling, 0)).to.equal(2);
    expect(scaler.recommend('a', 4500, autoscaling, 1000)).to.equal(5);
    expect(scaler.recommend('a', 100_000, autoscaling, 2000)).to.equal(6);
  });

  it('scales down only after the stabilization window', () => {
    const scaler = new GatewayScaler();
    scaler.recommend('b', 4500, autoscaling, 0);
    expect(scaler.recommend('b', 100, autoscaling, 30_000)).to.equal(5);
    expect(scaler.recommend('b', 100, autoscaling, 61_000)).to.equal(2);
  });
});
