import { expect } from 'chai';
import { z } from 'zod';
import { fitNotice, nameList } from '../../services/group/domain/notice-text.ts';
import { FriendService } from '../../services/platform/contracts/gen/anychat/friend/v1/friend_pb.ts';
import { MessageService } from '../../services/platform/contracts/gen/anychat/message/v1/message_pb.ts';
import { bulkCall, callBulk } from '../../services/platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../services/platform/errors.ts';
import { EmbeddedInvoker } from '../../services/platform/ports/embedded/invoke.ts';
import { internalService } from '../../services/platform/ports/index.ts';

const unused = async (): Promise<never> => {
  throw new AppError(ErrorCode.NOT_FOUND);
};

describe('the batching client of bulk contract methods', () => {
  it('asks in calls the callee accepts, each id once, and merges the answers in order', async () => {
    const relations = bulkCall(FriendService.method.getRelations, 'peerIds', (answer) => answer.relations, 3);
    const invoker = new EmbeddedInvoker();
    const calls: string[][] = [];
    invoker.register('friend', [
      internalService(
        FriendService,
        {
          getRelation: z.object({}),
          // The callee's schema is capped by the same descriptor: a longer list would be refused.
          getRelations: z.object({ userId: z.string(), peerIds: z.array(z.string()).max(relations.maxIds) }),
          listFriendIds: z.object({}),
        },
        {
          getRelation: unused,
          getRelations: async ({ userId, peerIds }) => {
            calls.push(peerIds);
            return {
              relations: peerIds
                .filter((id) => id !== 'unknown')
                .map((peerId) => ({ peerId, isFriend: userId === 'me' })),
            };
          },
          listFriendIds: unused,
        },
      ),
    ]);
    const ids = ['a', 'b', 'c', 'a', 'd', 'unknown', 'e', 'f'];
    const entries = await callBulk(invoker, relations, ids, { userId: 'me' });
    expect(calls).to.deep.equal([['a', 'b', 'c'], ['d', 'unknown', 'e'], ['f']]);
    expect(entries.map((e) => e.peerId)).to.deep.equal(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(entries.every((e) => e.isFriend)).to.equal(true);
    expect(await callBulk(invoker, relations, [], { userId: 'me' })).to.deep.equal([]);
    expect(calls).to.have.length(3);
  });

  it('sends every id of a method that answers nothing (delivered receipts past one call)', async () => {
    const delivered = bulkCall(MessageService.method.markDelivered, 'messageIds', () => [], 2);
    const invoker = new EmbeddedInvoker();
    const recorded: string[] = [];
    invoker.register('message', [
      internalService(
        MessageService,
        {
          sendMessage: z.object({}),
          markDelivered: z.object({
            userId: z.string(),
            messageIds: z.array(z.string()).max(delivered.maxIds),
          }),
          readTimeline: z.object({}),
          readGroupStreams: z.object({}),
          readGroupStream: z.object({}),
        },
        {
          sendMessage: unused,
          markDelivered: async ({ messageIds }) => {
            recorded.push(...messageIds);
            return {};
          },
          readTimeline: unused,
          readGroupStreams: unused,
          readGroupStream: unused,
        },
      ),
    ]);
    expect(await callBulk(invoker, delivered, ['a', 'b', 'c', 'd', 'e'], { userId: 'me' })).to.deep.equal([]);
    expect(recorded).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
  });
});

describe('group notice texts', () => {
  it('names up to ten users and counts the rest', () => {
    expect(nameList(['Ann'])).to.equal('Ann');
    expect(nameList(['Ann', 'Ben'])).to.equal('Ann and Ben');
    const names = Array.from({ length: 499 }, (_, i) => `U${i}`);
    expect(nameList(names.slice(0, 10))).to.equal('U0, U1, U2, U3, U4, U5, U6, U7, U8, and U9');
    expect(nameList(names.slice(0, 11))).to.equal('U0, U1, U2, U3, U4, U5, U6, U7, U8, and 2 others');
    expect(nameList(names)).to.equal('U0, U1, U2, U3, U4, U5, U6, U7, U8, and 490 others');
  });

  it('cuts a text to what the message service accepts, never through a character', () => {
    expect(fitNotice('short')).to.equal('short');
    const cut = fitNotice(`Group notice: ${'x'.repeat(2000)}`);
    expect(cut).to.have.length(1000);
    expect(cut.endsWith('…')).to.equal(true);
    const emoji = fitNotice(`${'x'.repeat(998)}😀😀`);
    expect(emoji).to.equal(`${'x'.repeat(998)}…`);
  });
});
