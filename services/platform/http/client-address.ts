import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import proxyAddr from 'proxy-addr';

/**
 * Which proxies' `X-Forwarded-For` the platform believes (setting `TRUSTED_PROXIES`): none (the
 * default: the TCP peer is the client), the addresses and CIDR ranges of the proxies (also
 * `loopback`, `linklocal`, `uniquelocal`), or the number of proxy hops in front of the service.
 */
export type TrustedProxies =
  | { kind: 'none' }
  | { kind: 'addresses'; list: string[] }
  | { kind: 'hops'; hops: number };

/** Reads the setting; throws a TypeError naming what is wrong (an address proxy-addr cannot parse). */
export function parseTrustedProxies(value: string | undefined): TrustedProxies {
  const setting = value?.trim() ?? '';
  if (setting === '' || setting === 'none') return { kind: 'none' };
  if (/^[0-9]{1,3}$/.test(setting)) {
    const hops = Number(setting);
    return hops === 0 ? { kind: 'none' } : { kind: 'hops', hops };
  }
  const list = setting
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  proxyAddr.compile(list); // refuses what it cannot parse, at start rather than per request
  return { kind: 'addresses', list };
}

/**
 * The client's address of a request (HTTP or WebSocket upgrade): the TCP peer, or, where the peer
 * is a trusted proxy, the address it forwarded (walking back through trusted proxies only). A
 * client that writes its own `X-Forwarded-For` changes nothing unless it connects from a trusted
 * address. proxy-addr does the parsing and the CIDR matching.
 */
export function clientAddressResolver(trusted: TrustedProxies): (request: IncomingMessage) => string {
  if (trusted.kind === 'none') return (request) => request.socket.remoteAddress ?? '';
  const trust =
    trusted.kind === 'hops'
      ? (_address: string, hop: number) => hop < trusted.hops
      : proxyAddr.compile(trusted.list);
  return (request) => {
    // A trusted proxy's header may still hold junk in front of what it appended: never an address.
    const address = proxyAddr(request, trust);
    return isIP(address) ? address : (request.socket.remoteAddress ?? '');
  };
}
