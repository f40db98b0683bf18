import { expect } from 'chai';
import { addressAllowed, resolveAllowed } from '../../services/message/domain/link-preview/address-policy.ts';
import { pageMeta } from '../../services/message/domain/link-preview/page-meta.ts';
import { ErrorCode } from '../../services/platform/errors.ts';

describe('link previews: address policy and page meta', () => {
  it('allows public unicast addresses only, unless private ones are allowed', () => {
    const cases: Array<[string, boolean, boolean]> = [
      // address, allowed by default, allowed with private addresses allowed
      ['93.184.216.34', true, true],
      ['2606:4700::1111', true, true],
      ['127.0.0.1', false, true],
      ['10.1.2.3', false, true],
      ['172.16.0.1', false, true],
      ['192.168.1.1', false, true],
      ['169.254.169.254', false, true],
      ['100.64.0.1', false, true],
      ['::1', false, true],
      ['fe80::1', false, true],
      ['fd00::1', false, true],
      // IPv4 inside IPv6 is judged as the IPv4 address.
      ['::ffff:127.0.0.1', false, true],
      ['::ffff:93.184.216.34', true, true],
      // Never: unspecified, broadcast, multicast, reserved, and IPv6 forms that tunnel to IPv4.
      ['0.0.0.0', false, false],
      ['::', false, false],
      ['255.255.255.255', false, false],
      ['224.0.0.1', false, false],
      ['ff02::1', false, false],
      ['240.0.0.1', false, false],
      ['2002:7f00:1::', false, false],
      ['64:ff9b::7f00:1', false, false],
      ['not an address', false, false],
    ];
    for (const [address, byDefault, withPrivate] of cases) {
      expect(addressAllowed(address, false), `${address} by default`).to.equal(byDefault);
      expect(addressAllowed(address, true), `${address} with private allowed`).to.equal(withPrivate);
    }
  });

  it('refuses a name that resolves to loopback, and an IP literal in brackets', async () => {
    for (const host of ['localhost', '[::1]', '127.0.0.1']) {
      const refusal = await resolveAllowed(host, false).then(
        () => undefined,
        (error: { code: number }) => error,
      );
      expect(refusal?.code, host).to.equal(ErrorCode.LINK_PREVIEW_REFUSED);
    }
    expect((await resolveAllowed('127.0.0.1', true)).address).to.equal('127.0.0.1');
  });

  it('reads OpenGraph, Twitter card and plain meta, resolving a relative image against the page', () => {
    const html = `<!doctype html><html><head>
      <title> Plain   title </title>
      <meta name="description" content="plain description">
      <meta property="og:title" content="Open &amp; Graph">
      <meta property="og:image" content="/img/card.png">
      <meta property="og:site_name" content="Example">
      </head><body><meta property="og:description" content="from the body: ignored"></body></html>`;
    expect(pageMeta(html, 'https://example.com/a/b')).to.deep.equal({
      title: 'Open & Graph',
      description: 'plain description',
      image: 'https://example.com/img/card.png',
      siteName: 'Example',
    });
    const bare = pageMeta(
      '<title>Only a title</title><meta property="og:image" content="javascript:alert(1)">',
      'http://x.test/',
    );
    expect(bare).to.deep.equal({ title: 'Only a title', description: null, image: null, siteName: null });
  });
});
