import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Clock } from '../common/clock';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { AuthenticatedRequest, REQUIRES_STEP_UP, routeHas } from '../http';
import type { UserView } from '../http';

export const CONFIRM_URL = '/auth/confirm';

export type StepUpMethod = 'password' | 'totp' | 'sso';

type StepUpUser = Pick<UserView, 'hasPassword' | 'twoFactorEnabled' | 'ssoProviderId'>;

/**
 * How this user confirms: POST /auth/confirm with one factor listed but "sso" (with two-factor on,
 * the authenticator or recovery code, which the password may accompany but not replace); "sso" (an
 * account its SSO provider signs in, without a password or two-factor) is the other way, signing in
 * again at that provider (ForceAuthn) through ssoUrl.
 */
export function stepUpMethods(user: StepUpUser): StepUpMethod[] {
  return [
    ...(user.hasPassword ? ['password' as const] : []),
    ...(user.twoFactorEnabled ? ['totp' as const] : []),
    // A two-factor account confirms with its second factor: an IdP does not stand in for it.
    ...(!user.hasPassword && !user.twoFactorEnabled && user.ssoProviderId ? ['sso' as const] : []),
  ];
}

/** Where a user confirms through their SSO provider (a step-up login that asks the IdP for ForceAuthn). */
export function stepUpSsoUrl(ssoProviderId: string): string {
  return `/auth/saml/${ssoProviderId}/login?stepUp=1`;
}

const METHOD_WORDS: Record<Exclude<StepUpMethod, 'sso'>, string> = {
  password: 'password',
  totp: 'an authenticator or recovery code',
};

/** 403 step_up_required, with the methods this user has and the sentence telling them what to do. */
export function stepUpRequired(user: StepUpUser, stepUpWindowMs: number): DomainError {
  const methods = stepUpMethods(user);
  const extra: Record<string, unknown> = {
    confirmUrl: CONFIRM_URL,
    methods,
    maxAgeSeconds: Math.round(stepUpWindowMs / 1000),
  };
  const ways: string[] = [];
  const confirmWith = methods.filter((m): m is keyof typeof METHOD_WORDS => m !== 'sso');
  if (confirmWith.length > 0 || methods.length === 0) {
    const words = confirmWith.includes('totp')
      ? `${METHOD_WORDS.totp}${confirmWith.includes('password') ? ', alone or with the password' : ''}`
      : confirmWith.map((m) => METHOD_WORDS[m]).join(' or ');
    ways.push(`with POST ${CONFIRM_URL} (${words})`);
  }
  if (methods.includes('sso')) {
    extra.ssoUrl = stepUpSsoUrl(user.ssoProviderId!);
    ways.push('by signing in again through your organization at ssoUrl');
  }
  return new DomainError('step_up_required', extra, {
    message: `Confirm your identity ${ways.join(' or ')}; the confirmation is valid for ${describeWindow(stepUpWindowMs)}.`,
  });
}

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
    throw stepUpRequired(auth.user, this.config.stepUpWindowMs);
  }
}
