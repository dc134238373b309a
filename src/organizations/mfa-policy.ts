import { DomainError } from '../common/errors';

/** Where an account sets up a second factor: an authenticator app, or a passkey. */
export const MFA_ENROLL_URLS = ['/me/2fa/totp/setup', '/me/passkeys/options'] as const;

/** A second factor an account has set up: TOTP or a passkey (one passkey is two factors). */
export function hasSecondFactor(account: { twoFactorEnabled: boolean; hasPasskey: boolean }): boolean {
  return account.twoFactorEnabled || account.hasPasskey;
}

/**
 * mfa_enrollment_required with the enrolment routes: 403 where the organization's rule refuses a
 * member, 409 where an owner asks to turn the rule on without a second factor of their own.
 */
export function mfaEnrollmentRequired(status?: 409): DomainError {
  return new DomainError('mfa_enrollment_required', { enrollUrls: [...MFA_ENROLL_URLS] }, status ? { status } : {});
}
