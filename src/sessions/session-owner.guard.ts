import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors';
import { SessionsService } from './sessions.service';
import type { AuthenticatedRequest } from '../http';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `:id` must be one of the caller's live sessions. The lookup carries the caller's user id, so
 * another user's session answers 404 exactly like a missing one (no existence leak).
 */
@Injectable()
export class SessionOwnerGuard implements CanActivate {
  constructor(private readonly sessions: SessionsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const id = request.params.id;
    if (!request.auth || typeof id !== 'string' || !UUID.test(id)) throw new DomainError('not_found');
    if (!(await this.sessions.isOwnLiveSession(request.auth.user.id, id))) throw new DomainError('not_found');
    return true;
  }
}
