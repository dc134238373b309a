import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiForbiddenResponse } from '@nestjs/swagger';
import { AuthenticatedRequest } from '../auth/auth-context';
import { DomainError } from '../common/errors';

const OPEN_TO_UNVERIFIED = Symbol('open-to-unverified');
export const RESEND_URL = '/auth/resend-verification';

/**
 * Opens a route to users whose email is not verified yet. Routes are closed to them unless marked,
 * so a route added later needs a verified email until someone decides otherwise.
 */
export const AllowUnverified = () => SetMetadata(OPEN_TO_UNVERIFIED, true);

/** Documents what the guard enforces by default; marks nothing, since a verified email is the default. */
export const RequireVerifiedEmail = () =>
  ApiForbiddenResponse({ description: '`email_not_verified` (with `resendUrl`) until the email is verified' });

/** Global, after the SessionAuthGuard: it reads the user the session lookup already loaded. */
@Injectable()
export class VerifiedGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const auth = context.switchToHttp().getRequest<AuthenticatedRequest>().auth;
    // Public routes: nobody is signed in, so there is nothing to check.
    if (!auth || auth.user.emailVerifiedAt) return true;
    if (this.reflector.getAllAndOverride<boolean>(OPEN_TO_UNVERIFIED, [context.getHandler(), context.getClass()])) {
      return true;
    }
    throw new DomainError('email_not_verified', { resendUrl: RESEND_URL });
  }
}
