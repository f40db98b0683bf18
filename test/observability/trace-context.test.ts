import { expect } from 'chai';
import type { PublishOptions } from '../../services/platform/ports/index.ts';
import { registerUser } from '../support/api-client.ts';
import { forEachBackend } from '../support/platform.ts';
import { WsClient } from '../support/ws-client.ts';

forEachBackend(
  'trace context: one trace per message sent over WebSocket',
  (getPlatform) => {
    it('delivers each message under a trace id of its own, the same for every recipient', async () => {
      const { host, api, bus } = getPlatform();
      // What the message service publishes to the gateways, as the broker gets it.
      const deliveries: Array<{ topic: string; traceId: string | undefined }> = [];
      const publish = bus.publish.bind(bus);
      bus.publish = (
        source: string,
        pubsubName: string,
        topic: string,
        data: unknown,
        options?: PublishOptions,
      ) => {
        if (topic.startsWith('gateway.deliver.')) deliveries.push({ topic, traceId: options?.traceId });
        return publish(source, pubsubName, topic, data, options);
      };
      const alice = await registerUser(api);
      const bob = await registerUser(api);
      const aliceWs = await WsClient.connect(host.url, alice.accessToken);
      const bobWs = await WsClient.connect(host.url, bob.accessToken);
      deliveries.length = 0;
      expect((await aliceWs.sendMessage(bob.userId, 'one')).type).to.equal('SEND_ACK');
      await bobWs.waitForMessages(1);
      const first = deliveries.map((d) => d.traceId);
      deliveries.length = 0;
      expect((await aliceWs.sendMessage(bob.userId, 'two')).type).to.equal('SEND_ACK');
      await bobWs.waitForMessages(2);
      const second = deliveries.map((d) => d.traceId);
      expect(first).to.have.length.greaterThan(0);
      expect(new Set(first).size).to.equal(1);
      expect(first[0]).to.match(/^[0-9a-f]{32}$/);
      expect(second[0]).to.match(/^[0-9a-f]{32}$/);
      expect(second[0]).not.to.equal(first[0]);
      await aliceWs.close();
      await bobWs.close();
    });
  },
  { MESSAGE_ALLOW_STRANGERS: 'true' },
);
