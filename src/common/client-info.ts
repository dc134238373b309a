import { BlockList, isIPv4 } from 'node:net';
import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { TrustProxy } from '../config';

/** Who is on the other end: the address as TRUST_PROXY allows reading it, and the user agent. */
export interface ClientInfo {
  ip: string;
  userAgent: string;
}

const MAX_USER_AGENT = 512;

export function clientInfoOf(request: FastifyRequest): ClientInfo {
  const ip = (request.ip ?? request.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  return { ip, userAgent: (request.headers['user-agent'] ?? '').slice(0, MAX_USER_AGENT) };
}

export const Client = createParamDecorator((_: unknown, context: ExecutionContext): ClientInfo =>
  clientInfoOf(context.switchToHttp().getRequest<FastifyRequest>()),
);

/** Where a deployment's own proxies live: loopback, private (RFC 1918, CGNAT, IPv6 ULA) and link-local. */
const proxyNetworks = new BlockList();
for (const [network, prefix] of [
  ['127.0.0.0', 8],
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
] as const) {
  proxyNetworks.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  proxyNetworks.addSubnet(network, prefix, 'ipv6');
}

function isProxyNetworkAddress(address: string): boolean {
  const plain = address.replace(/^::ffff:/i, '');
  try {
    return proxyNetworks.check(plain, isIPv4(plain) ? 'ipv4' : 'ipv6');
  } catch {
    return false;
  }
}

/**
 * TRUST_PROXY as Fastify takes it. `true` trusts every proxy hop, read from the right: the
 * connecting peer (the proxy in front, whatever its address), then each further hop while it is on
 * a loopback, private or link-local network. The client is the first address past them, which the
 * outermost of the deployment's proxies appended; what the client wrote itself stands further left
 * and is never reached (trusting every address would take the leftmost, which the client chose).
 */
export function fastifyTrustProxy(
  trust: TrustProxy,
): boolean | number | string[] | ((address: string, hop: number) => boolean) {
  if (trust !== true) return trust;
  return (address, hop) => hop === 0 || isProxyNetworkAddress(address);
}
