import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { deliveryPayload } from '../../services/message/webhooks/outgoing-deliveries.ts';
import type { OutgoingWebhook } from '../../services/message/webhooks/outgoing-store.ts';
import { MAX_DELIVERY_BYTES } from '../../services/message/webhooks/post-delivery.ts';
import { signDelivery, verifyDelivery } from '../../services/message/webhooks/signature.ts';

const webhook: OutgoingWebhook = {
  webhookId: '7',
  groupId: '9',
  botId: null,
  url: 'https://example.com/hook',
  sealedSecret: 'enc1:x',
  createdBy: '1',
  createdAt: new Date(0),
};
const message = (content: unknown) => ({
  messageId: '11',
  sessionId: 'g_9',
  sessionType: 'group' as const,
  senderId: '3',
  targetId: '9',
  clientMsgId: 'c1',
  seq: 4,
  contentType: 'text',
  content,
  mentions: [],
  recalled: false,
  createdAt: new Date(1_000),
});

describe('outgoing webhook signatures and payloads', () => {
  it('signs v1=hex(HMAC-SHA256(secret, timestamp + "." + body)), as the README says a receiver checks', () => {
    const body = '{"event":"message.created"}';
    const expected = createHmac('sha256', 'whsec_test').update(`1796054863.${body}`).digest('hex');
    expect(signDelivery('whsec_test', 1796054863, body)).to.equal(`v1=${expected}`);
  });

  it('verifies only the exact body, the right secret and a timestamp within the tolerance', () => {
    const now = 1_796_054_863_000;
    const timestamp = now / 1000;
    const body = '{"a":1}';
    const headers = { signature: signDelivery('s', timestamp, body), timestamp: String(timestamp) };
    expect(verifyDelivery('s', headers, body, 300, now)).to.equal(true);
    expect(verifyDelivery('s', headers, '{"a":2}', 300, now)).to.equal(false);
    expect(verifyDelivery('t', headers, body, 300, now)).to.equal(false);
    expect(verifyDelivery('s', headers, body, 300, now + 301_000), 'too old: a replay').to.equal(false);
    expect(verifyDelivery('s', { ...headers, timestamp: 'soon' }, body, 300, now)).to.equal(false);
    expect(verifyDelivery('s', { ...headers, signature: 'v1=00' }, body, 300, now)).to.equal(false);
  });

  it('sends the message with its content, and without it past the size cap', () => {
    const small = JSON.parse(deliveryPayload(webhook, message('你好'), 5));
    expect(small).to.deep.include({
      event: 'message.created',
      deliveryId: '7.11',
      groupId: '9',
      timestamp: 5,
    });
    expect(small.message).to.deep.include({ content: '你好', seq: 4, createdAt: 1000 });
    const big = deliveryPayload(webhook, message({ text: 'x'.repeat(MAX_DELIVERY_BYTES) }), 5);
    expect(Buffer.byteLength(big)).to.be.below(MAX_DELIVERY_BYTES);
    expect(JSON.parse(big).message).to.deep.include({ content: null, contentOmitted: true, messageId: '11' });
  });
});
