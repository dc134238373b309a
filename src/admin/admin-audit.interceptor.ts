import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { catchError, concatMap, from, map, Observable, throwError } from 'rxjs';
import { AuditService } from '../audit/audit.service';
import { clientInfoOf } from '../common/client-info';
import { DomainError } from '../common/errors';
import type { AuthenticatedRequest } from '../http';

/**
 * What an admin call was about, as an audit target: `user:<id>` for the routes under
 * /admin/users/:id, so the row is found, exported and anonymised with that account.
 */
export function adminAuditTarget(request: AuthenticatedRequest): string | undefined {
  const id = request.params?.id;
  return id && request.routeOptions.url?.startsWith('/admin/users/:id') ? `user:${id}` : undefined;
}

function statusOf(error: unknown): number {
  if (error instanceof DomainError) return error.status;
  if (error instanceof HttpException) return error.getStatus();
  return 500;
}

/**
 * Global: every call an admin key makes (one the AdminKeyGuard let through) leaves an audit row
 * `admin.request` with the key as actor, the route template and the answer's status, whether the
 * handler succeeded or failed. A change the call makes has its own row too, written with the change.
 */
@Injectable()
export class AdminAuditInterceptor implements NestInterceptor {
  constructor(private readonly audit: AuditService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const auth = request.auth;
    if (auth?.kind !== 'admin') return next.handle();
    const record = (status: number) =>
      this.audit.record({
        action: 'admin.request',
        actor: { adminKeyId: auth.adminKey.id },
        client: clientInfoOf(request),
        target: adminAuditTarget(request),
        details: { method: request.method, route: request.routeOptions.url ?? null, status },
      });
    const handler = context.getHandler();
    const success =
      (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ??
      (request.method === 'POST' ? 201 : 200);
    return next.handle().pipe(
      concatMap((value: unknown) => from(record(success)).pipe(map(() => value))),
      catchError((error: unknown) => from(record(statusOf(error))).pipe(concatMap(() => throwError(() => error)))),
    );
  }
}
