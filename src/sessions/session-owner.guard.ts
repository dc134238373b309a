import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors';
import { SessionsService } from './sessions.service';
import { parseId } from '../http';
import type { AuthenticatedRequest } from '../http';

/**
 * `:id` must be one of the caller's live sessions. The lookup carries the caller's user id, so
 * another user's session answers 404 exactly like a missing one (no existence leak).
 */
@Injectable()
export class SessionOwnerGuard implements CanActivate {
  constructor(private readonly sessions: SessionsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!request.auth || request.auth.kind === 'admin') throw new DomainError('not_found');
    const id = parseId(request.params.id);
    if (!(await this.sessions.isOwnLiveSession(request.auth.user.id, id))) throw new DomainError('not_found');
    return true;
  }
}
