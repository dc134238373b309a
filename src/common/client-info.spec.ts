import type { FastifyInstance } from 'fastify';
import { createHttpAdapter } from '../app';
import { loadConfig } from '../config';
import { clientInfoOf } from './client-info';

const base = { ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'), DATA_DIR: '/tmp/unused' };

/** The client address the app reads for a request from `peer` carrying `forwardedFor`. */
async function clientIp(trustProxy: string, peer: string, forwardedFor?: string): Promise<string> {
  const fastify = createHttpAdapter(loadConfig({ ...base, TRUST_PROXY: trustProxy })).getInstance() as FastifyInstance;
  fastify.get('/ip', (request, reply) => reply.send(clientInfoOf(request).ip));
  try {
    const headers = forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor };
    return (await fastify.inject({ method: 'GET', url: '/ip', remoteAddress: peer, headers })).body;
  } finally {
    await fastify.close();
  }
}

describe('the client address behind TRUST_PROXY', () => {
  // A client may send any X-Forwarded-For; each proxy appends the address it got the request from.
  const spoofed = '198.51.100.1, 198.51.100.2';

  it('is the peer when no proxy is trusted', async () => {
    expect(await clientIp('false', '203.0.113.9', spoofed)).toBe('203.0.113.9');
  });

  it('is, with `true`, the first address past the proxy hops: the peer, then every private or loopback one', async () => {
    expect(await clientIp('true', '10.0.0.2', `${spoofed}, 203.0.113.9`)).toBe('203.0.113.9');
    expect(await clientIp('true', '10.0.0.2', '203.0.113.9')).toBe('203.0.113.9');
    expect(await clientIp('true', '10.0.0.2')).toBe('10.0.0.2');
    // A load balancer and a reverse proxy inside the deployment: both are passed.
    expect(await clientIp('true', '127.0.0.1', `${spoofed}, 203.0.113.9, 172.16.4.4`)).toBe('203.0.113.9');
    expect(await clientIp('true', '::1', `${spoofed}, 2001:db8::9, fd00::1`)).toBe('2001:db8::9');
    // A proxy in front with a public address (a CDN) is the peer and trusted as such.
    expect(await clientIp('true', '198.51.100.77', `${spoofed}, 203.0.113.9`)).toBe('203.0.113.9');
    // A client cannot reach further left by writing private addresses of its own: the proxy's entry stops the walk.
    expect(await clientIp('true', '10.0.0.2', '10.1.1.1, 203.0.113.9')).toBe('203.0.113.9');
  });

  it('is the Nth address from the right with a hop count of N', async () => {
    expect(await clientIp('1', '10.0.0.2', `${spoofed}, 203.0.113.9`)).toBe('203.0.113.9');
    expect(await clientIp('2', '10.0.0.2', `${spoofed}, 203.0.113.9, 10.0.0.1`)).toBe('203.0.113.9');
    // Fewer hops than trusted: the leftmost there is, which the first proxy wrote.
    expect(await clientIp('3', '10.0.0.2', '203.0.113.9, 10.0.0.1')).toBe('203.0.113.9');
  });

  it('is the rightmost address that is not a trusted proxy with addresses/CIDRs', async () => {
    const trusted = '10.0.0.0/8, 192.0.2.1';
    expect(await clientIp(trusted, '10.0.0.2', `${spoofed}, 203.0.113.9, 192.0.2.1, 10.9.9.9`)).toBe('203.0.113.9');
    // A peer that is not a trusted proxy is the client, whatever it forwards.
    expect(await clientIp(trusted, '203.0.113.50', `${spoofed}`)).toBe('203.0.113.50');
  });

  it('drops the IPv4-mapped IPv6 prefix', async () => {
    expect(await clientIp('1', '::ffff:10.0.0.2', '::ffff:203.0.113.9')).toBe('203.0.113.9');
  });
});
