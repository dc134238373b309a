import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Clock } from '../common/clock';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { AuthenticatedRequest, REQUIRES_STEP_UP, routeHas } from '../http';
import type { UserView } from '../http';

export const CONFIRM_URL = '/auth/confirm';

export type StepUpMethod = 'password' | 'totp';

/** The ways this user can confirm: the ones they actually have. */
export function stepUpMethods(user: Pick<UserView, 'hasPassword' | 'twoFactorEnabled'>): StepUpMethod[] {
  return [...(user.hasPassword ? ['password' as const] : []), ...(user.twoFactorEnabled ? ['totp' as const] : [])];
}

const METHOD_WORDS: Record<StepUpMethod, string> = { password: 'password', totp: 'authenticator code' };

function describeWindow(ms: number): string {
  const minutes = ms / 60_000;
  return Number.isInteger(minutes)
    ? `${minutes} minute${minutes === 1 ? '' : 's'}`
    : `${Math.round(ms / 1000)} seconds`;
}

/**
 * Global, after the VerifiedGuard: on routes marked @RequireStepUp(), the session must have been
 * re-authenticated within STEP_UP_WINDOW; API keys never qualify.
 */
@Injectable()
export class StepUpGuard implements CanActivate {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (!routeHas(this.reflector, REQUIRES_STEP_UP, context)) return true;
    const auth = context.switchToHttp().getRequest<AuthenticatedRequest>().auth;
    if (!auth) throw new DomainError('unauthenticated');
    if (auth.kind !== 'session') throw new DomainError('api_key_not_allowed');
    const age = this.clock.now().getTime() - auth.session.reauthenticatedAt.getTime();
    if (age <= this.config.stepUpWindowMs) return true;
    const methods = stepUpMethods(auth.user);
    const how = methods.map((m) => METHOD_WORDS[m]).join(' or ');
    throw new DomainError(
      'step_up_required',
      { confirmUrl: CONFIRM_URL, methods, maxAgeSeconds: Math.round(this.config.stepUpWindowMs / 1000) },
      {
        message: `Confirm your identity with POST ${CONFIRM_URL} (${how}); the confirmation is valid for ${describeWindow(this.config.stepUpWindowMs)}.`,
      },
    );
  }
}
