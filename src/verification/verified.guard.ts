import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../common/errors';
import { AuthenticatedRequest, OPEN_TO_UNVERIFIED, routeHas } from '../http';

export const RESEND_URL = '/auth/resend-verification';

/** Global, after the SessionAuthGuard: it reads the user the session lookup already loaded. */
@Injectable()
export class VerifiedGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const auth = context.switchToHttp().getRequest<AuthenticatedRequest>().auth;
    // Public routes: nobody is signed in, so there is nothing to check; an admin key has no address.
    if (!auth || auth.kind === 'admin' || auth.user.emailVerifiedAt) return true;
    if (routeHas(this.reflector, OPEN_TO_UNVERIFIED, context)) return true;
    throw new DomainError('email_not_verified', { resendUrl: RESEND_URL });
  }
}
