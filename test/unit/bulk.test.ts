import { expect } from 'chai';
import { z } from 'zod';
import { fitNotice, nameList } from '../../services/group/domain/notice-text.ts';
import { bulkMethod, invokeBulk } from '../../services/platform/contracts/index.ts';
import { EmbeddedInvoker } from '../../services/platform/ports/embedded/invoke.ts';
import { parseInternal } from '../../services/platform/validation.ts';

describe('the batching client of bulk internal methods', () => {
  const echo = bulkMethod<{ id: string; owner: string }, { owner: string }>(
    'directory',
    'entries.get',
    'ids',
    3,
  );
  const Input = z.object({ owner: z.string(), ids: z.array(z.string()).max(echo.maxIds) });

  it('asks in calls the callee accepts, each id once, and merges the answers in order', async () => {
    const invoker = new EmbeddedInvoker();
    const calls: string[][] = [];
    invoker.register('directory', {
      // The callee's schema is capped by the same descriptor: a longer list would be refused.
      'entries.get': async (body) => {
        const { owner, ids } = parseInternal(Input, body);
        calls.push(ids);
        return ids.filter((id) => id !== 'unknown').map((id) => ({ id, owner }));
      },
    });
    const ids = ['a', 'b', 'c', 'a', 'd', 'unknown', 'e', 'f'];
    const entries = await invokeBulk(invoker, echo, ids, { owner: 'me' });
    expect(calls).to.deep.equal([['a', 'b', 'c'], ['d', 'unknown', 'e'], ['f']]);
    expect(entries.map((e) => e.id)).to.deep.equal(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(entries.every((e) => e.owner === 'me')).to.equal(true);
    expect(await invokeBulk(invoker, echo, [], { owner: 'me' })).to.deep.equal([]);
    expect(calls).to.have.length(3);
  });

  it('sends every id of a method that answers nothing (delivered receipts past one call)', async () => {
    const invoker = new EmbeddedInvoker();
    const recorded: string[] = [];
    const record = bulkMethod<never, { owner: string }>('directory', 'entries.record', 'ids', 2);
    invoker.register('directory', {
      'entries.record': async (body) => {
        recorded.push(...parseInternal(Input.extend({ ids: z.array(z.string()).max(2) }), body).ids);
      },
    });
    expect(await invokeBulk(invoker, record, ['a', 'b', 'c', 'd', 'e'], { owner: 'me' })).to.deep.equal([]);
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
