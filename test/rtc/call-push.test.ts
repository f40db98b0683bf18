import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { registerUser } from '../support/api-client.ts';
import { befriend, loginDevice } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { WsClient } from '../support/ws-client.ts';
import { callNotice, type RtcWorld, startRtcWorld } from './support.ts';

/** What the platform posts to a webhook push provider, as far as this test reads it. */
interface RelayedPush {
  target: { userId: string; deviceId: string };
  message: { priority: string; silent: boolean; data: Record<string, string> };
}

describe('call invitations reach devices that are not connected by push [pglite]', function () {
  this.timeout(120_000);
  let world: RtcWorld;
  let relay: Server;
  const relayed: RelayedPush[] = [];

  before(async function () {
    this.timeout(180_000);
    relay = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        relayed.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        response.writeHead(202).end();
      });
    });
    relay.listen(0, '127.0.0.1');
    await once(relay, 'listening');
    const relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/push`;
    world = await startRtcWorld('pglite', {
      PUSH_WEBHOOK_PROVIDERS: JSON.stringify([{ name: 'call-relay', url: relayUrl }]),
    });
  });
  after(async () => {
    await world?.stop();
    relay?.close();
  });

  it('rings the connected device over WebSocket and pushes to the phone, at high priority', async () => {
    const { api, host } = world.platform;
    const caller = await registerUser(api);
    const callee = await registerUser(api, { nickname: 'Callee' });
    await befriend(api, caller, callee);
    const phone = await loginDevice(api, callee, 'Android', `android-${callee.userId}`);
    await api.ok('POST', '/api/v1/users/push-token', {
      token: phone.accessToken,
      body: { pushToken: `relay-${callee.userId}`, platform: 'Android', provider: 'call-relay' },
    });
    await host.settled();
    const web = await WsClient.connect(host.url, callee.accessToken);
    const ticket = await api.ok<{ callId: string }>('POST', '/api/v1/calls/invite', {
      token: caller.accessToken,
      body: { userId: callee.userId, callType: 'video' },
    });
    await callNotice(web, 'call.invited', ticket.callId);
    const push = await eventually('the phone gets a push', () =>
      relayed.find((p) => p.message.data.callId === ticket.callId),
    );
    expect(push.target).to.include({ userId: callee.userId, deviceId: `android-${callee.userId}` });
    expect(push.message).to.include({ priority: 'high', silent: false });
    expect(push.message.data).to.include({ type: 'call', callerId: caller.userId });
    // One push per call, only to the device that is not connected.
    await host.settled();
    expect(relayed.filter((p) => p.message.data.callId === ticket.callId)).to.have.length(1);
    await api.ok('PUT', `/api/v1/calls/${ticket.callId}/hangup`, { token: caller.accessToken });
    await web.close();
  });
});
