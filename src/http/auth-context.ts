import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AdminScope } from './route-access';
import type { UserView } from './user-view';

/** The session half of a request's authentication. */
export interface SessionContext {
  id: string;
  createdAt: Date;
  lastActiveAt: Date;
  expiresAt: Date;
  reauthenticatedAt: Date;
  /**
   * SHA-256 of the token this request holds for the session (the new one when the request itself
   * rotated it): a token replacement is made only while the session still holds it.
   */
  tokenHash: Buffer;
}

export interface SessionAuth {
  kind: 'session';
  user: UserView;
  session: SessionContext;
}

export interface ApiKeyAuth {
  kind: 'api-key';
  user: UserView;
  /** `secondFactor`: the session that made the key had proved a second factor (TOTP or a passkey). */
  apiKey: { id: string; secondFactor: boolean };
}

/** A user's authentication: what every route but the operators' sees. */
export type AuthContext = SessionAuth | ApiKeyAuth;

/** An operator's admin key, on an @AdminRoute() (and nowhere else). */
export interface AdminAuth {
  kind: 'admin';
  adminKey: { id: string; name: string; scopes: readonly AdminScope[] };
}

export interface AuthenticatedRequest extends FastifyRequest<{ Params: Record<string, string | undefined> }> {
  auth?: AuthContext | AdminAuth;
}

function authOf(context: ExecutionContext): AuthContext {
  const auth = context.switchToHttp().getRequest<AuthenticatedRequest>().auth;
  if (!auth) throw new Error('authentication was not resolved for this route');
  if (auth.kind === 'admin') throw new Error("a user's authentication was asked for on an admin route");
  return auth;
}

/** The admin key of an @AdminRoute() request, as the AdminKeyGuard resolved it. */
export const CurrentAdmin = createParamDecorator((_: unknown, context: ExecutionContext): AdminAuth => {
  const auth = context.switchToHttp().getRequest<AuthenticatedRequest>().auth;
  if (auth?.kind !== 'admin') throw new Error('CurrentAdmin used on a route that is not an @AdminRoute()');
  return auth;
});

/** The request's authentication, session or API key, as the SessionAuthGuard resolved it. */
export const CurrentAuth = createParamDecorator((_: unknown, context: ExecutionContext): AuthContext =>
  authOf(context),
);

/** The request's session; the guard has already refused API keys on routes that use this. */
export const CurrentSession = createParamDecorator((_: unknown, context: ExecutionContext): SessionAuth => {
  const auth = authOf(context);
  if (auth.kind !== 'session') throw new Error('CurrentSession used on a route that allows API keys');
  return auth;
});

/** The request's session, or undefined on a @ToleratesDeadSession() route reached without a live one. */
export const OptionalSession = createParamDecorator(
  (_: unknown, context: ExecutionContext): SessionAuth | undefined => {
    const auth = context.switchToHttp().getRequest<AuthenticatedRequest>().auth;
    if (auth && auth.kind !== 'session') throw new Error('OptionalSession used on a route that allows API keys');
    return auth;
  },
);
