import { applyDecorators, CanActivate, ExecutionContext, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { clientInfoOf } from '../common/client-info';
import { ipSubject } from './ip-subject';
import { RateLimiter } from './rate-limiter.service';
import { RateLimitName } from './rate-limits';

const RATE_LIMIT = Symbol('rate-limit');
const RATE_LIMITED = Symbol('rate-limited');

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

/** Counts every request to the route against the per-IP limit `name` (the OpenAPI document shows its 429). */
export function RateLimitByIp(name: RateLimitName) {
  return applyDecorators(SetMetadata(RATE_LIMIT, name), UseGuards(IpRateLimitGuard));
}

/**
 * Declares the limits a route's service counts (per account, per user) so the OpenAPI document
 * shows its 429 and Retry-After; the service still does the counting.
 */
export const RateLimited = (...names: RateLimitName[]) => SetMetadata(RATE_LIMITED, names);

/** Every limit a handler is subject to: the per-IP one its guard counts and those its service counts. */
export function rateLimitsOf(handler: object): RateLimitName[] {
  const byIp = Reflect.getMetadata(RATE_LIMIT, handler) as RateLimitName | undefined;
  const counted = (Reflect.getMetadata(RATE_LIMITED, handler) as RateLimitName[] | undefined) ?? [];
  return [...(byIp ? [byIp] : []), ...counted];
}
