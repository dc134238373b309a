import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

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
