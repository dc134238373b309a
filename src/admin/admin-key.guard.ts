import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuditService } from '../audit/audit.service';
import { clientInfoOf } from '../common/client-info';
import { ADMIN_KEY_PREFIX } from '../common/crypto';
import { DomainError } from '../common/errors';
import { adminScopeOf, AuthenticatedRequest, bearerOf } from '../http';
import { AdminKeysService } from './admin-keys.service';
import { adminAuditTarget } from './admin-audit.interceptor';

/**
 * Global: an @AdminRoute(scope) is reached only with a live admin key (`Bearer adm_…`) holding the
 * scope; no session, cookie or API key opens it (401), a key without the scope answers 403
 * insufficient_scope (audited). Every other route refuses an admin key (401). A route without admin
 * metadata costs one cached metadata read and a header prefix check.
 */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: AdminKeysService,
    private readonly audit: AuditService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const scope = adminScopeOf(this.reflector, context);
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const bearer = bearerOf(request);
    const isAdminKey = bearer?.startsWith(ADMIN_KEY_PREFIX) === true;
    if (scope === null) {
      if (isAdminKey) throw new DomainError('unauthenticated');
      return true;
    }
    if (!isAdminKey) throw new DomainError('unauthenticated');
    const auth = await this.keys.authenticate(bearer!);
    if (!auth.adminKey.scopes.includes(scope)) {
      await this.audit.record({
        action: 'admin.request_refused',
        actor: { adminKeyId: auth.adminKey.id },
        client: clientInfoOf(request),
        target: adminAuditTarget(request),
        details: { method: request.method, route: request.routeOptions.url ?? null, scope },
      });
      throw new DomainError('insufficient_scope', { scope });
    }
    request.auth = auth;
    return true;
  }
}
