import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { pubsubComponents, renderSelfHostedResources, streamSubjects } from '../../common/deploy/index.ts';
import { SERVICE_NAMES, TOPIC_SUBSCRIBERS } from '../../common/index.ts';
import * as eventContracts from '../../services/platform/contracts/events.ts';
import { subscriptionComponent } from '../../services/platform/ports/dapr/inbound.ts';
import { DeliveryAttempts } from '../../services/platform/ports/delivery-metrics.ts';
import { SERVICES } from '../../services/registry.ts';
import { readRunFile } from '../support/dapr-cluster.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('Dapr resources', () => {
  it('has components/ up to date with the code that renders them (npm run dapr:components)', () => {
    for (const [path, text] of Object.entries(renderSelfHostedResources())) {
      const file = join(ROOT, 'components', path);
      expect(existsSync(file), `${path} is missing`).to.equal(true);
      expect(readFileSync(file, 'utf8'), `${path} is stale`).to.equal(text);
    }
  });

  it("wires exactly the topics the services' contracts declare", () => {
    // Every exported topic (a string) or group of topics; per-instance topics are functions.
    const declared = Object.values(eventContracts).flatMap((value) =>
      typeof value === 'string' ? [value] : typeof value === 'object' ? Object.values(value) : [],
    );
    expect(declared).to.have.length.greaterThan(10);
    expect([...declared].sort()).to.deep.equal(Object.keys(TOPIC_SUBSCRIBERS).sort());
  });

  it('lists every service as an app-id, and the run file starts each of them with valid resource paths', () => {
    expect(SERVICES.map((service) => service.name)).to.deep.equal([...SERVICE_NAMES]);
    const runFile = readRunFile() as ReturnType<typeof readRunFile> & {
      common: { resourcesPaths: string[]; configFilePath: string };
    };
    expect(runFile.apps.map((app) => app.appID).sort()).to.deep.equal([...SERVICE_NAMES].sort());
    for (const app of runFile.apps) expect(app.env?.SERVICES).to.equal(app.appID);
    for (const path of [...runFile.common.resourcesPaths, runFile.common.configFilePath])
      expect(existsSync(join(ROOT, path)), path).to.equal(true);
    const ports = runFile.apps.flatMap((app) => [
      (app as unknown as { appPort: number }).appPort,
      (app as unknown as { daprHTTPPort: number }).daprHTTPPort,
    ]);
    expect(new Set(ports).size).to.equal(ports.length);
  });

  it('reads each app-scoped topic through its own component, scoped to its subscribers', () => {
    expect(subscriptionComponent({ pubsubName: 'pubsub', topic: 'message.created' })).to.equal(
      'pubsub-message-created',
    );
    expect(
      subscriptionComponent({ pubsubName: 'pubsub', topic: 'gateway.deliver.gw-1', scope: 'instance' }),
    ).to.equal('pubsub');
    for (const type of ['nats', 'redis'] as const) {
      const components = pubsubComponents({
        backend:
          type === 'nats'
            ? { type, natsUrl: 'nats://x:4222', streamName: 'S' }
            : { type, redisHost: 'x:6379' },
      });
      const byName = new Map(components.map((c) => [c.metadata.name, c]));
      expect(byName.get('pubsub')?.scopes).to.deep.equal([...SERVICE_NAMES]);
      for (const [topic, subscribers] of Object.entries(TOPIC_SUBSCRIBERS)) {
        const component = byName.get(subscriptionComponent({ pubsubName: 'pubsub', topic }));
        if (subscribers.length === 0) expect(component).to.equal(undefined);
        else expect(component?.scopes, topic).to.deep.equal([...subscribers]);
      }
    }
    const durable = pubsubComponents({ backend: { type: 'nats', natsUrl: 'n', streamName: 'S' } })[1]!;
    const metadata = Object.fromEntries(
      (durable.spec.metadata as Array<{ name: string; value: string }>).map((m) => [m.name, m.value]),
    );
    expect(metadata.durableName).to.match(/^\{appID\}-[a-z-]+$/);
    expect(metadata.queueGroupName).to.equal('{appID}');
  });

  it('gives the JetStream stream a subject family for every topic, per-instance gateway topics included', () => {
    const subjects = streamSubjects();
    for (const topic of [...Object.keys(TOPIC_SUBSCRIBERS), 'gateway.deliver.gw-1'])
      expect(subjects, topic).to.include(`${topic.split('.')[0]}.>`);
  });

  it('parses as Dapr resources', () => {
    for (const [path, text] of Object.entries(renderSelfHostedResources())) {
      const documents = text
        .split(/^---$/m)
        .map((doc) => parse(doc) as { apiVersion: string; kind: string; metadata: { name: string } });
      for (const doc of documents) {
        expect(doc.apiVersion, path).to.equal('dapr.io/v1alpha1');
        expect(doc.metadata.name, path).to.be.a('string');
      }
    }
  });
});

describe('DeliveryAttempts', () => {
  it('gives up on an event after the configured failures, and forgets settled ones', () => {
    const attempts = new DeliveryAttempts(3);
    expect([attempts.failed('e1'), attempts.failed('e1')]).to.deep.equal([false, false]);
    expect(attempts.failed('e1')).to.equal(true);
    attempts.failed('e2');
    attempts.settled('e2');
    expect([attempts.failed('e2'), attempts.failed('e2'), attempts.failed('e2')]).to.deep.equal([
      false,
      false,
      true,
    ]);
  });

  it('remembers a bounded number of events', () => {
    const attempts = new DeliveryAttempts(2, 2);
    attempts.failed('a');
    attempts.failed('b');
    attempts.failed('c'); // forgets a
    expect(attempts.failed('a')).to.equal(false);
    expect(attempts.failed('c')).to.equal(true);
  });
});
