import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../common/errors';
import { AuthenticatedRequest, OPEN_DURING_DELETION, routeHas } from '../http';

export const CANCEL_URL = '/me/deletion/cancel';

/**
 * Global, right after the SessionAuthGuard: during the grace period an account's sessions reach only
 * the routes marked @AllowPendingDeletion(), and its API keys nothing, until the deletion is
 * cancelled. It reads the user the session lookup already loaded.
 */
@Injectable()
export class PendingDeletionGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const auth = context.switchToHttp().getRequest<AuthenticatedRequest>().auth;
    // An admin key is no account: the AdminKeyGuard governs its routes.
    if (!auth || auth.kind === 'admin') return true;
    const scheduledFor = auth.user.deletionScheduledFor;
    if (!scheduledFor) return true;
    if (auth.kind === 'session' && routeHas(this.reflector, OPEN_DURING_DELETION, context)) return true;
    throw new DomainError('account_pending_deletion', {
      cancelUrl: CANCEL_URL,
      deletionScheduledFor: scheduledFor.toISOString(),
    });
  }
}
