import { expect } from 'chai';
import { highlight, rankOf, searchTerms } from '../../services/message/domain/highlight.ts';

describe('message search terms, ranking and highlights', () => {
  it('splits the keyword into terms and tells which the trigram index can look up', () => {
    expect(searchTerms('  项目计划  天气 ab a-b-c abc ')).to.deep.equal([
      { text: '项目计划', indexable: true },
      { text: '天气', indexable: false },
      { text: 'ab', indexable: false },
      { text: 'a-b-c', indexable: false },
      { text: 'abc', indexable: true },
    ]);
  });

  it('ranks a text that is mostly the query above a long one, and the whole phrase higher', () => {
    const terms = searchTerms('plan review');
    expect(rankOf('plan review', terms)).to.be.greaterThan(
      rankOf('the plan for the quarterly review', terms),
    );
    expect(rankOf('a plan review', terms)).to.be.greaterThan(rankOf('review the plan', terms));
  });

  it('cuts a snippet around the first match without splitting a character, ranges in the snippet', () => {
    const text = `${'😀'.repeat(30)}项目计划${'好'.repeat(200)}PLAN`;
    const found = highlight(text, searchTerms('项目计划 plan'))!;
    expect(found.text.isWellFormed()).to.equal(true);
    expect(found.text.startsWith('…')).to.equal(true);
    expect(found.text.endsWith('…')).to.equal(true);
    expect(found.ranges.map(([from, to]) => found.text.slice(from, to))).to.deep.equal(['项目计划']);
    expect(highlight('nothing here', searchTerms('项目'))).to.equal(null);
  });
});
