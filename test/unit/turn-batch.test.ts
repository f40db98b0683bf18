import { expect } from 'chai';
import { TurnBatch } from '../../services/platform/turn-batch.ts';

describe('TurnBatch: lookups of one event-loop turn answered by one fetch', () => {
  const counting = () => {
    const fetches: string[][] = [];
    const batch = new TurnBatch<string, number>(async (keys) => {
      fetches.push([...keys].sort());
      return new Map(keys.filter((key) => key !== 'missing').map((key) => [key, key.length]));
    });
    return { batch, fetches };
  };

  it('fetches the keys of lookups made in the same turn once, and answers each its own keys', async () => {
    const { batch, fetches } = counting();
    const [first, second] = await Promise.all([batch.get(['a', 'bb']), batch.get(['bb', 'ccc', 'missing'])]);
    expect(fetches).to.deep.equal([['a', 'bb', 'ccc', 'missing']]);
    expect([...first]).to.deep.equal([
      ['a', 1],
      ['bb', 2],
    ]);
    expect([...second]).to.deep.equal([
      ['bb', 2],
      ['ccc', 3],
    ]);
  });

  it('fetches again for lookups of a later turn, and not at all for none', async () => {
    const { batch, fetches } = counting();
    await batch.get(['a']);
    await batch.get(['a']);
    expect((await batch.get([])).size).to.equal(0);
    expect(fetches).to.deep.equal([['a'], ['a']]);
  });

  it('fails every lookup of a turn whose fetch failed, and fetches afresh next turn', async () => {
    let fail = true;
    const batch = new TurnBatch<string, number>(async (keys) => {
      if (fail) throw new Error('store away');
      return new Map(keys.map((key) => [key, 1]));
    });
    const outcomes = await Promise.allSettled([batch.get(['a']), batch.get(['b'])]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'rejected']);
    fail = false;
    expect([...(await batch.get(['a']))]).to.deep.equal([['a', 1]]);
  });
});
