import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { AppError, ErrorCode } from '../../../platform/errors.ts';

/** Ranges a server inside a private network could be reached at: refused unless the setting allows them. */
const PRIVATE_RANGES = new Set(['private', 'loopback', 'linkLocal', 'uniqueLocal', 'carrierGradeNat']);

/**
 * Whether the server may connect to an address. Only public unicast addresses by default; with
 * `allowPrivate`, also private, loopback and link-local ones. Never unspecified, multicast,
 * broadcast, reserved or documentation ranges, nor IPv6 forms that embed an IPv4 address (6to4,
 * Teredo, NAT64); IPv4-mapped IPv6 is judged as the IPv4 address it maps.
 */
export function addressAllowed(address: string, allowPrivate: boolean): boolean {
  if (!ipaddr.isValid(address)) return false;
  const range = ipaddr.process(address).range();
  return range === 'unicast' || (allowPrivate && PRIVATE_RANGES.has(range));
}

/**
 * An http(s) URL without credentials, as the server fetches (link previews) and posts (outgoing
 * webhooks): 000001 when it is not a URL, `refuse(why)` when it is one the server does not call.
 */
export function serverFetchableUrl(value: string, refuse: (why: string) => AppError): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AppError(ErrorCode.INVALID_PARAMS, { detail: 'url: not a URL' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse('only http and https URLs');
  if (url.username || url.password) throw refuse('URLs with credentials are refused');
  return url;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Resolves a host once and checks every address it has: one forbidden address refuses the host
 * (a name that answers both a public and a private address is not trusted). The caller connects to
 * the address returned, never resolving the name again, so a second DNS answer cannot change it.
 */
export async function resolveAllowed(hostname: string, allowPrivate: boolean): Promise<ResolvedAddress> {
  const literal = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  let addresses: ResolvedAddress[];
  if (ipaddr.isValid(literal)) {
    addresses = [{ address: literal, family: ipaddr.parse(literal).kind() === 'ipv6' ? 6 : 4 }];
  } else {
    try {
      addresses = (await lookup(literal, { all: true, verbatim: true })).map((a) => ({
        address: a.address,
        family: a.family === 6 ? 6 : 4,
      }));
    } catch {
      throw new AppError(ErrorCode.LINK_PREVIEW_FAILED, { detail: `the name ${literal} does not resolve` });
    }
  }
  if (addresses.length === 0 || addresses.some((a) => !addressAllowed(a.address, allowPrivate)))
    throw new AppError(ErrorCode.LINK_PREVIEW_REFUSED, {
      detail: `${literal} resolves to an address that is not allowed`,
    });
  return addresses[0]!;
}
