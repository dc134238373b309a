import { applyDecorators, ExecutionContext, Header, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

/**
 * What a route lets in, as metadata the global guards read (in this order: SessionAuthGuard,
 * PendingDeletionGuard, VerifiedGuard, StepUpGuard). Routes are closed by default: signed-in session only, verified
 * email, no step-up; each decorator opens or tightens one thing.
 */
export const IS_PUBLIC = Symbol('public');
export const ALLOWS_API_KEY = Symbol('allows-api-key');
export const OPEN_TO_UNVERIFIED = Symbol('open-to-unverified');
export const REQUIRES_STEP_UP = Symbol('requires-step-up');
export const OPEN_DURING_DELETION = Symbol('open-during-deletion');
export const TOLERATES_DEAD_SESSION = Symbol('tolerates-dead-session');

/** Opts a route out of the global SessionAuthGuard. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** What an admin key may be allowed to do, one scope per kind of route. */
export const ADMIN_SCOPES = [
  'users:read',
  'users:write',
  'audit:read',
  'webhooks:write',
  'sessions:introspect',
] as const;
export type AdminScope = (typeof ADMIN_SCOPES)[number];

export const ADMIN_SCOPE = Symbol('admin-scope');

/**
 * The route is the operators': reachable only with an admin key (`Bearer adm_…`) holding `scope`, and
 * with nothing else (no session, no API key). The session-based guards (authentication, CSRF, pending
 * deletion, verified email) do not apply: for them the route is public, and the AdminKeyGuard
 * (src/admin/) authenticates the key and checks the scope. No other route accepts an admin key.
 * Answers about accounts are never cached. A handler decorator (not a controller one).
 */
export const AdminRoute = (scope: AdminScope): MethodDecorator =>
  applyDecorators(
    SetMetadata(ADMIN_SCOPE, scope),
    Public(),
    AllowUnverified(),
    AllowPendingDeletion(),
    Header('Cache-Control', 'no-store'),
  );

/**
 * Lets an API key reach the route. Routes are session-only unless marked: API keys never reach
 * sessions, step-up, API keys, password, email, 2FA or deletion.
 */
export const AllowApiKey = () => SetMetadata(ALLOWS_API_KEY, true);

/**
 * Opens a route to users whose email is not verified yet. Routes are closed to them unless marked,
 * so a route added later needs a verified email until someone decides otherwise.
 */
export const AllowUnverified = () => SetMetadata(OPEN_TO_UNVERIFIED, true);

/**
 * Keeps a route open to a session whose account is scheduled for deletion (the grace period): the
 * profile, the session routes, logout, confirmation, export and the deletion routes themselves.
 * Everything else answers account_pending_deletion, and API keys reach nothing.
 */
export const AllowPendingDeletion = () => SetMetadata(OPEN_DURING_DELETION, true);

/**
 * Lets a request whose session is missing, unknown, expired or revoked through without one (the
 * handler sees no CurrentSession): signing out is idempotent. A live session is resolved as usual,
 * API keys are still refused and a cookie still needs a trusted Origin.
 */
export const ToleratesDeadSession = () => SetMetadata(TOLERATES_DEAD_SESSION, true);

/**
 * Says in the code what the VerifiedGuard enforces by default; marks nothing, since a verified email
 * is the default (the OpenAPI document derives its 403 `email_not_verified` from the absence of
 * @AllowUnverified(), like every error these marks imply: src/openapi/route-contract.ts).
 */
export const RequireVerifiedEmail = () => applyDecorators();

/** The route needs a recent re-authentication of the current session (the StepUpGuard checks it). */
export const RequireStepUp = () => SetMetadata(REQUIRES_STEP_UP, true);

/** The marks already read, by controller and handler: metadata is fixed once the app is built. */
const knownMarks = new WeakMap<object, WeakMap<object, Map<symbol, boolean>>>();

/** The admin scope each route needs (null: not an admin route), by controller and handler, read once. */
const knownScopes = new WeakMap<object, WeakMap<object, AdminScope | null>>();

/** The scope an @AdminRoute() needs, or null for every other route; cheap after the first request. */
export function adminScopeOf(reflector: Reflector, context: ExecutionContext): AdminScope | null {
  const controller = context.getClass();
  const handler = context.getHandler();
  let handlers = knownScopes.get(controller);
  if (!handlers) knownScopes.set(controller, (handlers = new WeakMap()));
  let scope = handlers.get(handler);
  if (scope === undefined) {
    scope = reflector.getAllAndOverride<AdminScope | undefined>(ADMIN_SCOPE, [handler, controller]) ?? null;
    handlers.set(handler, scope);
  }
  return scope;
}

/**
 * Whether the handler or its controller carries the mark. Each global guard asks on every request,
 * so the answer is read through the Reflector once per route and remembered.
 */
export function routeHas(reflector: Reflector, mark: symbol, context: ExecutionContext): boolean {
  const controller = context.getClass();
  const handler = context.getHandler();
  let handlers = knownMarks.get(controller);
  if (!handlers) knownMarks.set(controller, (handlers = new WeakMap()));
  let marks = handlers.get(handler);
  if (!marks) handlers.set(handler, (marks = new Map()));
  let has = marks.get(mark);
  if (has === undefined) {
    has = reflector.getAllAndOverride<boolean>(mark, [handler, controller]) === true;
    marks.set(mark, has);
  }
  return has;
}
