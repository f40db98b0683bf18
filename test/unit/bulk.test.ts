import { expect } from 'chai';
import { z } from 'zod';
import { MessagesClient } from '../../services/gateway/clients/messages.ts';
import { fitNotice, nameList } from '../../services/group/domain/notice-text.ts';
import { FriendService } from '../../services/platform/contracts/gen/anychat/friend/v1/friend_pb.ts';
import { MessageService } from '../../services/platform/contracts/gen/anychat/message/v1/message_pb.ts';
import { BulkCalls, bulkCall, callBulk } from '../../services/platform/contracts/index.ts';
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
          getPairRelations: z.object({}),
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
          getPairRelations: unused,
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

  it("sends a gateway's delivered receipts of many users in as few calls as the callee takes, every id once", async () => {
    const invoker = new EmbeddedInvoker();
    const calls: Array<Array<[string, number]>> = [];
    const recorded = new Map<string, string[]>();
    invoker.register('message', [
      internalService(
        MessageService,
        {
          sendMessage: z.object({}),
          markDelivered: z.object({}),
          markDeliveredBatch: z.object({
            receipts: z
              .array(z.object({ userId: z.string(), messageIds: z.array(z.string()) }))
              .refine(
                (r) =>
                  r.reduce((n, { messageIds }) => n + messageIds.length, 0) <= BulkCalls.delivered.maxIds,
              ),
          }),
          readTimeline: z.object({}),
          readGroupStreams: z.object({}),
          readGroupStream: z.object({}),
          getGroupReads: z.object({}),
        },
        {
          sendMessage: unused,
          markDelivered: unused,
          markDeliveredBatch: async ({ receipts }) => {
            calls.push(receipts.map(({ userId, messageIds }) => [userId, messageIds.length]));
            for (const { userId, messageIds } of receipts)
              recorded.set(userId, [...(recorded.get(userId) ?? []), ...messageIds]);
            return {};
          },
          readTimeline: unused,
          readGroupStreams: unused,
          readGroupStream: unused,
          getGroupReads: unused,
        },
      ),
    ]);
    const ids = (user: string, count: number) => Array.from({ length: count }, (_, n) => `${user}-${n}`);
    const client = new MessagesClient(invoker);
    await client.delivered([
      ['u1', ids('u1', 600)],
      ['u2', [...ids('u2', 600), 'u2-0']],
      ['u3', ids('u3', 600)],
      ['u4', ids('u4', 3)],
    ]);
    expect(calls).to.deep.equal([
      [
        ['u1', 600],
        ['u2', 400],
      ],
      [
        ['u2', 200],
        ['u3', 600],
        ['u4', 3],
      ],
    ]);
    for (const [user, count] of [
      ['u1', 600],
      ['u2', 600],
      ['u3', 600],
      ['u4', 3],
    ] as const)
      expect(recorded.get(user)).to.deep.equal(ids(user, count));
    await client.delivered([]);
    expect(calls).to.have.length(2);
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
