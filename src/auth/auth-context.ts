import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import type { AuthenticatedSession } from '../sessions/sessions.service';

export const IS_PUBLIC = Symbol('public');

/** Opts a route out of the global SessionAuthGuard. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export type AuthContext = AuthenticatedSession;

export interface AuthenticatedRequest extends Request {
  auth?: AuthContext;
}

/** The request's authentication, as the SessionAuthGuard resolved it. */
export const CurrentAuth = createParamDecorator((_: unknown, context: ExecutionContext): AuthContext => {
  const auth = context.switchToHttp().getRequest<AuthenticatedRequest>().auth;
  if (!auth) throw new Error('CurrentAuth used on a route without authentication');
  return auth;
});
