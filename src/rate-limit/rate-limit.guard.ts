import { applyDecorators, CanActivate, ExecutionContext, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { clientInfoOf } from '../common/client-info';
import { ipSubject } from './ip-subject';
import { RateLimiter } from './rate-limiter.service';
import { RATE_LIMITS, RateLimitName } from './rate-limits';

const RATE_LIMIT = Symbol('rate-limit');

/** Counts every request to the route per client IP (IPv6: per /64); over the limit it answers 429. */
@Injectable()
export class IpRateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const name = this.reflector.get<RateLimitName>(RATE_LIMIT, context.getHandler());
    await this.limiter.consume(name, ipSubject(clientInfoOf(context.switchToHttp().getRequest<FastifyRequest>()).ip));
    return true;
  }
}

export function RateLimitByIp(name: RateLimitName) {
  const rule = RATE_LIMITS[name];
  return applyDecorators(
    SetMetadata(RATE_LIMIT, name),
    UseGuards(IpRateLimitGuard),
    ApiTooManyRequestsResponse({
      description: `More than ${rule.limit} requests per IP in ${rule.windowMs / 60_000} minutes; see Retry-After.`,
      headers: { 'Retry-After': { description: 'seconds until the window ends', schema: { type: 'integer' } } },
    }),
  );
}
