const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface RateRule {
  name: string;
  limit: number;
  windowMs: number;
  /**
   * What the counter is keyed on; counters keyed on an account (its id, or any address it has had,
   * alone or paired with something else) are erased with it. A pair is given as `[account part,
   * other part]`, so the account's counters are found by the key's prefix.
   */
  subject: 'ip' | 'email' | 'userId' | 'userIdAndIp' | 'org' | 'emailAndOrg';
}

/** The limits of docs/api.md (Rate limits). Fixed windows; a key's window starts at its first hit. */
export const RATE_LIMITS = {
  loginFailuresPerAccount: { name: 'login-failures-account', limit: 10, windowMs: 15 * MINUTE, subject: 'email' },
  /** Once an account's limit is reached, each address it signed in from before gets this many of its own. */
  loginFailuresPerKnownAddress: {
    name: 'login-failures-known',
    limit: 10,
    windowMs: 15 * MINUTE,
    subject: 'userIdAndIp',
  },
  loginAttemptsPerIp: { name: 'login-ip', limit: 100, windowMs: 15 * MINUTE, subject: 'ip' },
  signupPerIp: { name: 'signup-ip', limit: 20, windowMs: HOUR, subject: 'ip' },
  passwordForgotPerAccount: { name: 'forgot-account', limit: 5, windowMs: HOUR, subject: 'email' },
  passwordForgotPerIp: { name: 'forgot-ip', limit: 20, windowMs: HOUR, subject: 'ip' },
  passwordResetPerIp: { name: 'reset-ip', limit: 30, windowMs: 15 * MINUTE, subject: 'ip' },
  verifyEmailPerIp: { name: 'verify-ip', limit: 30, windowMs: 15 * MINUTE, subject: 'ip' },
  resendVerificationPerMinute: { name: 'resend-user-minute', limit: 1, windowMs: MINUTE, subject: 'userId' },
  resendVerificationPerHour: { name: 'resend-user-hour', limit: 5, windowMs: HOUR, subject: 'userId' },
  emailChangesPerUser: { name: 'email-change-user', limit: 5, windowMs: HOUR, subject: 'userId' },
  /** Verification links mailed to one address, whoever asks: email changes to it and resends. */
  verificationMailsPerAddress: { name: 'verify-mail-address', limit: 5, windowMs: HOUR, subject: 'email' },
  confirmFailuresPerUser: { name: 'confirm-failures-user', limit: 10, windowMs: 15 * MINUTE, subject: 'userId' },
  invitationsPerOrg: { name: 'invite-org', limit: 30, windowMs: HOUR, subject: 'org' },
  invitationsPerInviter: { name: 'invite-user', limit: 20, windowMs: HOUR, subject: 'userId' },
  invitationsPerAddress: { name: 'invite-org-address', limit: 5, windowMs: HOUR, subject: 'emailAndOrg' },
  /** Each SAML login start writes an AuthnRequest row and each ACS post may cost a parse of up to 256 KB. */
  samlLoginPerIp: { name: 'saml-login-ip', limit: 60, windowMs: MINUTE, subject: 'ip' },
  samlAcsPerIp: { name: 'saml-acs-ip', limit: 60, windowMs: MINUTE, subject: 'ip' },
  /** Each OIDC login start writes a request row and each callback may cost a round trip to the OP. */
  oidcLoginPerIp: { name: 'oidc-login-ip', limit: 60, windowMs: MINUTE, subject: 'ip' },
  oidcCallbackPerIp: { name: 'oidc-callback-ip', limit: 60, windowMs: MINUTE, subject: 'ip' },
  /** Each passkey options request, signed in or not, stores a challenge. */
  /** Failed passkey sign-ins from one address: an assertion costs a signature check. */
  passkeyLoginFailuresPerIp: { name: 'passkey-login-ip', limit: 30, windowMs: 15 * MINUTE, subject: 'ip' },
  passkeyOptionsPerIp: { name: 'passkey-options-ip', limit: 60, windowMs: MINUTE, subject: 'ip' },
  /** Invitations mailed to one address from all organizations together: its inbox is not a target. */
  invitationMailsPerAddress: { name: 'invite-address', limit: 10, windowMs: HOUR, subject: 'email' },
  /** Sign-in mails to one address, whoever asks: its inbox is not a target. */
  emailSignInPerAddress: { name: 'email-sign-in-address', limit: 5, windowMs: HOUR, subject: 'email' },
  emailSignInPerIp: { name: 'email-sign-in-ip', limit: 20, windowMs: HOUR, subject: 'ip' },
  /** Links and codes tried from one address: a code has a million values, and each row five tries. */
  emailSignInVerifyPerIp: { name: 'email-sign-in-verify-ip', limit: 30, windowMs: 15 * MINUTE, subject: 'ip' },
  emailConfirmCodesPerUser: { name: 'email-confirm-user', limit: 5, windowMs: HOUR, subject: 'userId' },
} as const satisfies Record<string, RateRule>;

export type RateLimitName = keyof typeof RATE_LIMITS;
