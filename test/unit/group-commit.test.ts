import { expect } from 'chai';
import { GroupCommit } from '../../services/message/domain/group-commit.ts';

/** A store that fails any batch holding a "bad" item, as a transaction the database refuses does. */
function recordingStore(maxBatch: number) {
  const batches: string[][] = [];
  const failures: number[] = [];
  const commit = new GroupCommit<string, string>({
    maxBatch,
    maxWaitMicros: 0,
    onBatchFailed: (_error, size) => failures.push(size),
    write: async (items) => {
      batches.push(items);
      if (items.includes('bad')) throw new Error('refused by the database');
      return items.map((item) => `stored ${item}`);
    },
  });
  return { batches, commit, failures };
}

describe('group commit', () => {
  it('writes items submitted together in one batch and answers each with its own result', async () => {
    const { batches, commit } = recordingStore(10);
    const results = await Promise.all(['a', 'b', 'c'].map((item) => commit.submit(item)));
    expect(results).to.deep.equal(['stored a', 'stored b', 'stored c']);
    expect(batches).to.deep.equal([['a', 'b', 'c']]);
  });

  it('splits at the batch size and keeps the order items came in', async () => {
    const { batches, commit } = recordingStore(2);
    const items = ['1', '2', '3', '4', '5'];
    expect(await Promise.all(items.map((item) => commit.submit(item)))).to.deep.equal(
      items.map((item) => `stored ${item}`),
    );
    expect(batches).to.deep.equal([['1', '2'], ['3', '4'], ['5']]);
  });

  it('fails only the bad item of a refused batch: its neighbours are written again alone', async () => {
    const { batches, commit, failures } = recordingStore(10);
    const outcomes = await Promise.allSettled(['a', 'bad', 'c'].map((item) => commit.submit(item)));
    expect(
      outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message)),
    ).to.deep.equal(['stored a', 'refused by the database', 'stored c']);
    expect(batches).to.deep.equal([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
    expect(failures, 'the failed batch is reported once').to.deep.equal([3]);
  });

  it('writes what arrives after a batch has started as the next batch', async () => {
    const { batches, commit } = recordingStore(10);
    const first = commit.submit('a');
    // Submitted after the first batch has started writing (its write awaits).
    await new Promise((resolve) => setImmediate(resolve));
    const later = ['b', 'c'].map((item) => commit.submit(item));
    expect(await Promise.all([first, ...later])).to.deep.equal(['stored a', 'stored b', 'stored c']);
    expect(batches).to.deep.equal([['a'], ['b', 'c']]);
  });
});
