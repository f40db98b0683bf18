import { expect } from 'chai';
import { singleSessionId } from '../../services/platform/contracts/index.ts';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser } from '../support/api-client.ts';
import { befriend } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { forEachBackend } from '../support/platform.ts';
import { clientMsgId, type Frame, WsClient } from '../support/ws-client.ts';

const PAIRS = 8;
const PER_SENDER = 8;

/**
 * Sends are stored in batches (group commit). Many senders at once, in both directions of each
 * conversation, with a refused send and a repeated clientMsgId among them: each send is answered
 * once with its own result, every conversation is numbered 1..n without gaps, and each side's
 * messages keep their order. The receivers' delivered receipts, flushed together by the gateway,
 * are stored together too.
 */
forEachBackend(
  'sends stored together (group commit)',
  (platform) => {
    it('answers each of many concurrent sends once, in order per conversation, a refused or repeated one on its own', async () => {
      const { api, host } = platform();
      const users = await Promise.all(Array.from({ length: PAIRS * 2 + 1 }, () => registerUser(api)));
      const stranger = users.pop()!;
      const pairs = Array.from({ length: PAIRS }, (_, i) => [users[2 * i]!, users[2 * i + 1]!] as const);
      await Promise.all(pairs.map(([a, b]) => befriend(api, a, b)));
      const sockets = new Map(
        await Promise.all(
          users.map(
            async (user) => [user.userId, await WsClient.connect(host.url, user.accessToken)] as const,
          ),
        ),
      );
      const socket = (userId: string) => sockets.get(userId)!;
      try {
        /** One sender's messages, each sent once the previous one is acknowledged. */
        const sendAll = async (from: string, to: string) => {
          const acks: Frame[] = [];
          for (let n = 0; n < PER_SENDER; n++)
            acks.push(await socket(from).sendMessage(to, `${from}->${to} #${n}`));
          return acks;
        };
        const first = pairs[0]!;
        const firstAck = await socket(first[0].userId).sendMessage(first[1].userId, 'before', {
          msgId: clientMsgId(),
        });
        const repeatedId = clientMsgId();
        const original = await socket(first[1].userId).sendMessage(first[0].userId, 'once', {
          msgId: repeatedId,
        });
        const [results, refused, repeated] = await Promise.all([
          Promise.all(
            pairs.map(([a, b]) => Promise.all([sendAll(a.userId, b.userId), sendAll(b.userId, a.userId)])),
          ),
          socket(first[0].userId).sendMessage(stranger.userId, 'not a friend'),
          socket(first[1].userId).sendMessage(first[0].userId, 'once', { msgId: repeatedId }),
        ]);

        expect([refused.type, refused.data.code]).to.deep.equal(['ERROR', ErrorCode.MESSAGE_NOT_FRIEND]);
        expect(repeated.type).to.equal('SEND_ACK');
        expect(repeated.data).to.deep.equal(original.data);

        results.forEach(([forth, back], index) => {
          for (const acks of [forth, back]) {
            expect(acks.map((ack) => ack.type)).to.deep.equal(Array(PER_SENDER).fill('SEND_ACK'));
            const seqs = acks.map((ack) => ack.data.seq as number);
            expect(seqs, 'one sender keeps its order').to.deep.equal([...seqs].sort((x, y) => x - y));
          }
          const earlier = index === 0 ? 2 : 0; // "before" and "once"
          const all = [...forth, ...back].map((ack) => ack.data.seq as number).sort((x, y) => x - y);
          expect(all, 'numbered without gaps or repeats').to.deep.equal(
            Array.from({ length: PER_SENDER * 2 }, (_, n) => n + 1 + earlier),
          );
        });
        expect(firstAck.data.seq).to.equal(1);

        // Each receiver gets each message once, in the conversation's order.
        await Promise.all(
          pairs.flatMap(([a, b], index) =>
            [
              [a, b, results[index]![0]],
              [b, a, results[index]![1]],
            ].map(async ([from, to, acks]) => {
              const { userId: sender } = from as typeof a;
              const { userId: receiver } = to as typeof a;
              const received = () =>
                socket(receiver)
                  .messages()
                  .filter((f) => f.data.senderId === sender);
              const expected = (acks as Frame[]).length + (index === 0 ? 1 : 0);
              await socket(receiver).waitForMessages(expected, (f) => f.data.senderId === sender);
              const frames = received().filter((f) => String(f.data.content).includes('#'));
              expect(frames.map((f) => f.data.messageId)).to.deep.equal(
                (acks as Frame[]).map((ack) => ack.data.messageId),
              );
              expect(frames.map((f) => f.data.content)).to.deep.equal(
                Array.from({ length: PER_SENDER }, (_, n) => `${sender}->${receiver} #${n}`),
              );
              expect(received()).to.have.length(expected);
            }),
          ),
        );

        // The receivers' MESSAGE_ACKs reach the gateway together and are stored together (the
        // message service group commits receipts): no sender sees a message of theirs still only sent.
        await Promise.all(
          pairs.flatMap(([a, b]) =>
            [a, b].map((sender) =>
              eventually(`${sender.userId} sees its messages delivered`, async () => {
                const { messages } = await api.ok<{ messages: Array<{ senderId: string; status: string }> }>(
                  'GET',
                  `/api/v1/messages/history?sessionId=${singleSessionId(a.userId, b.userId)}&limit=50`,
                  { token: sender.accessToken },
                );
                const own = messages.filter((m) => m.senderId === sender.userId);
                // Read where the peer answered after it (a send reads the conversation), delivered otherwise.
                return own.length >= PER_SENDER && own.every((m) => m.status !== 'sent');
              }),
            ),
          ),
        );
      } finally {
        await Promise.all([...sockets.values()].map((ws) => ws.close()));
      }
    });
  },
  // The longest wait, so that sends arriving together are stored together.
  { MESSAGE_SEND_BATCH_WAIT_MICROS: '999' },
);
