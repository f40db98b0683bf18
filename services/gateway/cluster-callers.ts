import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { Middleware } from 'koa';
import { AppError, ErrorCode } from '../platform/errors.ts';

/** Loopback, private (RFC 1918, RFC 4193), link-local and carrier-grade NAT ranges: where pods live. */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['127.0.0.0', 8],
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['169.254.0.0', 16],
  ['100.64.0.0', 10],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const)
  PRIVATE.addSubnet(network, prefix, 'ipv6');

/** Headers a proxy (the ingress) adds: a request carrying one came from outside through it. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

export function isPrivateAddress(address: string): boolean {
  const v4 = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address;
  if (isIPv4(v4)) return PRIVATE.check(v4, 'ipv4');
  return isIPv6(address) && PRIVATE.check(address, 'ipv6');
}

/**
 * Lets through only requests made directly from inside the cluster or the machine: the TCP peer
 * (never a header, which a client can forge) is a private address, and no proxy forwarded the
 * request (an ingress connects from a private address too, but says for whom). Everyone else gets 403.
 */
export const clusterCallersOnly: Middleware = async (ctx, next) => {
  const peer = ctx.req.socket.remoteAddress ?? '';
  if (FORWARDING_HEADERS.some((header) => ctx.get(header) !== '') || !isPrivateAddress(peer))
    throw new AppError(ErrorCode.FORBIDDEN, { detail: 'only answered to callers inside the cluster' });
  await next();
};
