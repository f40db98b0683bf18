import { expect } from 'chai';
import fc from 'fast-check';
import { stateKeyPart } from '../../services/platform/security/attempts.ts';

describe('a subject as part of a state key', () => {
  it('keeps what needs no encoding as it is, and encodes % and | as before', () => {
    expect(stateKeyPart('203.0.113.7')).to.equal('203.0.113.7');
    expect(stateKeyPart('121008600644284416:98')).to.equal('121008600644284416:98');
    expect(stateKeyPart('50%|x')).to.equal('50%25%7Cx');
  });

  it('encodes control characters: a NUL from a path never reaches the store', () => {
    expect(stateKeyPart('u:\u0000')).to.equal('u:%00');
    expect(stateKeyPart('a\nb\u007f\u0085')).to.equal('a%0Ab%7F%85');
  });

  it('gives two subjects two keys, and a key holds no | and no control character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        const key = stateKeyPart(a);
        expect(/[|\p{Cc}]/u.test(key)).to.equal(false);
        if (a !== b) expect(key).to.not.equal(stateKeyPart(b));
      }),
    );
  });
});
