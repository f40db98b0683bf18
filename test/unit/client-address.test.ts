import type { IncomingMessage } from 'node:http';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../services/platform/config.ts';
import { clientAddressResolver, parseTrustedProxies } from '../../services/platform/http/client-address.ts';

/** A request as the server sees it: the TCP peer and what the headers claim. */
const request = (peer: string, forwardedFor?: string) =>
  ({
    socket: { remoteAddress: peer },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  }) as unknown as IncomingMessage;

const resolve = (setting: string | undefined, peer: string, forwardedFor?: string) =>
  clientAddressResolver(parseTrustedProxies(setting))(request(peer, forwardedFor));

describe('client address (TRUSTED_PROXIES)', () => {
  it('trusts nobody by default: the TCP peer is the client, whatever the header says', () => {
    expect(resolve(undefined, '127.0.0.1', '203.0.113.7')).to.equal('127.0.0.1');
    expect(resolve('', '10.1.2.3', '203.0.113.7')).to.equal('10.1.2.3');
    expect(resolve('0', '10.1.2.3', '203.0.113.7')).to.equal('10.1.2.3');
  });

  it('believes a trusted proxy for the address it appended, never what the client wrote before it', () => {
    expect(resolve('loopback', '127.0.0.1', '203.0.113.7')).to.equal('203.0.113.7');
    // The client forged 198.51.100.1; the proxy appended the address it saw.
    expect(resolve('loopback', '127.0.0.1', '198.51.100.1, 203.0.113.7')).to.equal('203.0.113.7');
    // Through two trusted hops (an ingress behind a load balancer), back to the first untrusted one.
    expect(resolve('10.0.0.0/8, loopback', '127.0.0.1', '198.51.100.1, 203.0.113.7, 10.4.0.9')).to.equal(
      '203.0.113.7',
    );
  });

  it('ignores the header of a peer that is not a trusted proxy', () => {
    expect(resolve('10.0.0.0/8', '203.0.113.50', '198.51.100.1')).to.equal('203.0.113.50');
  });

  it('counts hops when given a number', () => {
    expect(resolve('1', '10.9.8.7', '198.51.100.1, 203.0.113.7')).to.equal('203.0.113.7');
    expect(resolve('2', '10.9.8.7', '198.51.100.1, 203.0.113.7')).to.equal('198.51.100.1');
  });

  it('never takes junk from the header for an address', () => {
    expect(resolve('1', '10.9.8.7', 'not-an-address')).to.equal('10.9.8.7');
    expect(resolve('loopback', '127.0.0.1', `${'x'.repeat(300)}`)).to.equal('127.0.0.1');
  });

  it('refuses a setting it cannot read at start, naming it', () => {
    expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, not-an-ip' })).to.throw(
      ConfigError,
      /TRUSTED_PROXIES/,
    );
    expect(loadConfig({}).trustedProxies).to.deep.equal({ kind: 'none' });
    expect(loadConfig({ TRUSTED_PROXIES: 'uniquelocal,loopback' }).trustedProxies).to.deep.equal({
      kind: 'addresses',
      list: ['uniquelocal', 'loopback'],
    });
  });
});
