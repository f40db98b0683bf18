import { expect } from 'chai';
import { AppError, ErrorCode } from '../../services/platform/errors.ts';
import { FieldCipher, newFieldKey, parseFieldKeys } from '../../services/platform/security/index.ts';

const unreadable = (open: () => string) => {
  try {
    open();
  } catch (error) {
    expect(error).to.be.instanceOf(AppError);
    expect((error as AppError).code).to.equal(ErrorCode.SEALED_FIELD_UNREADABLE);
    return;
  }
  expect.fail('opened');
};

describe('field cipher (AES-256-GCM, key ids, rotation)', () => {
  const [a] = parseFieldKeys(newFieldKey('a'));
  const [b] = parseFieldKeys(newFieldKey('b'));

  it('seals with the current key, opens with any key of the ring, and only in its context', () => {
    const sealed = new FieldCipher([a!]).seal('JBSWY3DPEHPK3PXP', 'totp:user:1');
    expect(sealed)
      .to.match(/^enc1:a:/)
      .and.not.include('JBSWY3DPEHPK3PXP');
    const rotated = new FieldCipher([b!, a!]);
    expect(rotated.open(sealed, 'totp:user:1')).to.equal('JBSWY3DPEHPK3PXP');
    expect(rotated.seal('x', 'c')).to.match(/^enc1:b:/);
    unreadable(() => rotated.open(sealed, 'totp:user:2'));
    unreadable(() => new FieldCipher([b!]).open(sealed, 'totp:user:1'));
    unreadable(() => new FieldCipher([{ id: 'a', key: b!.key }]).open(sealed, 'totp:user:1'));
    unreadable(() => rotated.open('enc1:a:AAAA', 'totp:user:1'));
  });

  it('refuses key settings that are not id:32-byte-base64 with distinct ids, naming no key', () => {
    for (const bad of [
      '',
      'a',
      ':abc',
      'a:c2hvcnQ=',
      `${newFieldKey('a')},${newFieldKey('a')}`,
      `a b:${'A'.repeat(44)}`,
    ]) {
      expect(() => parseFieldKeys(bad), bad).to.throw(Error);
    }
    expect(parseFieldKeys(`${newFieldKey('k1')}, ${newFieldKey('k2')}`).map((k) => k.id)).to.deep.equal([
      'k1',
      'k2',
    ]);
  });
});
