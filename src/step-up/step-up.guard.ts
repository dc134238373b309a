import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Clock } from '../common/clock';
import { CredentialPolicy } from '../common/credential-policy';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { AuthenticatedRequest, REQUIRES_STEP_UP, routeHas } from '../http';
import type { UserView } from '../http';

export const CONFIRM_URL = '/auth/confirm';

export type StepUpMethod = 'password' | 'totp' | 'passkey' | 'email' | 'sso';

type StepUpUser = Pick<UserView, 'hasPassword' | 'twoFactorEnabled' | 'hasPasskey' | 'ssoProviderId'> & {
  /** The SSO connection enforced on the account's address (not for its organization's owners), if any. */
  enforcedSsoProviderId?: string | null;
};

/**
 * How this user confirms: POST /auth/confirm with one factor listed but "sso" (with two-factor on,
 * the authenticator or recovery code, which the password may accompany but not replace; a passkey
 * alone, being two factors). "sso" is signing in again at an SSO provider (ForceAuthn) through
 * ssoUrl, for an account without a usable password (none, or one its enforced domain no longer
 * accepts), two-factor or a passkey. "email" is a code mailed to the address
 * (POST /auth/confirm/email), for an account with none of these.
 */
export function stepUpMethods(user: StepUpUser): StepUpMethod[] {
  const passwordUsable = user.hasPassword && !user.enforcedSsoProviderId;
  const factors: StepUpMethod[] = [
    ...(passwordUsable ? ['password' as const] : []),
    ...(user.twoFactorEnabled ? ['totp' as const] : []),
    ...(user.hasPasskey ? ['passkey' as const] : []),
  ];
  if (factors.length > 0) return factors;
  // A two-factor or passkey account confirms with it: an IdP does not stand in for it, nor does a
  // mailbox. An account an IdP signs in confirms there, not by mail.
  return ssoStepUpProvider(user) ? ['sso'] : ['email'];
}

/** The provider an SSO step-up goes through: the enforced one, else the one that signs in an account without a password. */
export function ssoStepUpProvider(user: StepUpUser): string | null {
  return user.enforcedSsoProviderId ?? (user.hasPassword ? null : user.ssoProviderId);
}

/**
 * Where a user confirms through their SSO connection (a step-up login that asks the IdP for a new
 * authentication): its protocol's login path when known, SAML's otherwise.
 */
export function stepUpSsoUrl(ssoProviderId: string, loginPath?: string | null): string {
  return `${loginPath ?? `/auth/saml/${ssoProviderId}/login`}?stepUp=1`;
}

/** The login path of the connection a step-up of this user would go through, if any (for stepUpRequired). */
export async function ssoStepUpLoginPath(user: StepUpUser, policy: CredentialPolicy): Promise<string | null> {
  const providerId = stepUpMethods(user).includes('sso') ? ssoStepUpProvider(user) : null;
  return providerId ? policy.ssoLoginPath(providerId) : null;
}

const METHOD_WORDS: Record<Exclude<StepUpMethod, 'sso'>, string> = {
  password: 'password',
  totp: 'an authenticator or recovery code',
  passkey: 'a passkey',
  email: 'a code mailed to you by POST /auth/confirm/email',
};

/** 403 step_up_required, with the methods this user has and the sentence telling them what to do. */
export function stepUpRequired(user: StepUpUser, stepUpWindowMs: number, ssoLoginPath?: string | null): DomainError {
  const methods = stepUpMethods(user);
  const extra: Record<string, unknown> = {
    confirmUrl: CONFIRM_URL,
    methods,
    maxAgeSeconds: Math.round(stepUpWindowMs / 1000),
  };
  const ways: string[] = [];
  const confirmWith = methods.filter((m): m is keyof typeof METHOD_WORDS => m !== 'sso');
  if (confirmWith.length > 0) {
    const words = confirmWith
      .filter((m) => !(m === 'password' && confirmWith.includes('totp')))
      .map((m) =>
        m === 'totp' && confirmWith.includes('password')
          ? `${METHOD_WORDS.totp}, alone or with the password`
          : METHOD_WORDS[m],
      )
      .join(' or ');
    ways.push(`with POST ${CONFIRM_URL} (${words})`);
  }
  if (methods.includes('sso')) {
    extra.ssoUrl = stepUpSsoUrl(ssoStepUpProvider(user)!, ssoLoginPath);
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
    private readonly policy: CredentialPolicy,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!routeHas(this.reflector, REQUIRES_STEP_UP, context)) return true;
    const auth = context.switchToHttp().getRequest<AuthenticatedRequest>().auth;
    if (!auth) throw new DomainError('unauthenticated');
    if (auth.kind !== 'session') throw new DomainError('api_key_not_allowed');
    const age = this.clock.now().getTime() - auth.session.reauthenticatedAt.getTime();
    if (age <= this.config.stepUpWindowMs) return true;
    // Only on the way to a 403: where SSO is enforced, the answer offers the IdP, not the password.
    const enforcedSsoProviderId = await this.policy.enforcedSsoProvider(auth.user);
    const user = { ...auth.user, enforcedSsoProviderId };
    throw stepUpRequired(user, this.config.stepUpWindowMs, await ssoStepUpLoginPath(user, this.policy));
  }
}
