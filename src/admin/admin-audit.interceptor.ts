import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { catchError, concatMap, from, map, Observable, throwError } from 'rxjs';
import { AuditService } from '../audit/audit.service';
import { clientInfoOf } from '../common/client-info';
import { DomainError } from '../common/errors';
import type { AuthenticatedRequest } from '../http';

/** Requests whose account the handler erased: their audit row must not name it. */
const erasedTargets = new WeakSet<object>();

/** The call erased the account it names (the erasure has already anonymised what names it). */
export function markTargetErased(request: object): void {
  erasedTargets.add(request);
}

/**
 * What an admin call was about, as an audit target: `user:<id>` for the routes under
 * /admin/users/:id, so the row is found, exported and anonymised with that account.
 */
export function adminAuditTarget(request: AuthenticatedRequest): string | undefined {
  if (erasedTargets.has(request)) return undefined;
  const id = request.params?.id;
  return id && request.routeOptions.url?.startsWith('/admin/users/:id') ? `user:${id}` : undefined;
}

function statusOf(error: unknown): number {
  if (error instanceof DomainError) return error.status;
  if (error instanceof HttpException) return error.getStatus();
  return 500;
}

/**
 * On every admin controller (the operators' routes all live in admin/): every call an admin key makes (one the AdminKeyGuard let through) leaves an audit row
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
    // Nest sets the route's status before the handler runs; a handler may change it.
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      concatMap((value: unknown) => from(record(reply.statusCode)).pipe(map(() => value))),
      catchError((error: unknown) => from(record(statusOf(error))).pipe(concatMap(() => throwError(() => error)))),
    );
  }
}
