/**
 * Every error the API answers with: its HTTP status and the sentence a human reads. The filter maps
 * a DomainError through this table, so a code without an entry does not compile.
 */
export const ERRORS = {
  validation_failed: { status: 400, message: 'The request is invalid.' },
  bad_request: { status: 400, message: 'The request cannot be served.' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  weak_password: {
    status: 400,
    message: 'Choose a password of 8 to 128 characters that is not a common or easily guessed one.',
  },
  totp_setup_required: { status: 400, message: 'Start with POST /me/2fa/totp/setup, then enable with a code.' },
  invalid_token: { status: 400, message: 'This link or token is unknown, expired or already used.' },
  domain_not_verified: {
    status: 400,
    message: 'The DNS TXT record proving the domain was not found; publish domainVerificationRecord and try again.',
  },
  unauthenticated: { status: 401, message: 'Authentication is required.' },
  invalid_credentials: { status: 401, message: 'The email or password is wrong.' },
  totp_required: {
    status: 401,
    message: 'Enter the code from your authenticator app (or a recovery code) as totpCode.',
  },
  invalid_totp: { status: 401, message: 'The authenticator or recovery code is wrong or already used.' },
  session_expired: { status: 401, message: 'The session has ended; sign in again.' },
  passkey_invalid: {
    status: 401,
    message: 'The passkey could not be verified; start again with new options.',
  },
  saml_invalid: { status: 401, message: 'The single sign-on response could not be accepted; sign in again.' },
  oidc_invalid: { status: 401, message: 'The OpenID Connect sign-in could not be accepted; sign in again.' },
  email_not_verified: { status: 403, message: 'Verify your email address first; we can send the link again.' },
  csrf_rejected: { status: 403, message: 'The request did not come from a trusted origin.' },
  forbidden: { status: 403, message: 'You may not do this.' },
  step_up_required: { status: 403, message: 'Confirm your identity with POST /auth/confirm.' },
  account_pending_deletion: {
    status: 403,
    message: 'This account is scheduled for deletion; cancel the deletion to use it again.',
  },
  account_locked: {
    status: 403,
    message: 'This account has been locked by an operator; contact support to have it unlocked.',
  },
  account_suspended: {
    status: 403,
    message: "Your organization's directory has deactivated this account; ask your administrator.",
  },
  api_key_not_allowed: { status: 403, message: 'This route needs a signed-in session; an API key cannot use it.' },
  sso_required: {
    status: 403,
    message: 'Your organization signs you in through its identity provider; continue at loginUrl.',
  },
  invitation_email_mismatch: {
    status: 403,
    message: 'This invitation was sent to another address; sign in with the verified address it was sent to.',
  },
  insufficient_scope: { status: 403, message: 'This admin key does not hold the scope this route needs.' },
  insufficient_role: { status: 403, message: 'Your role in this organization does not allow this.' },
  not_found: { status: 404, message: 'Not found.' },
  email_taken: { status: 409, message: 'An account with this email already exists.' },
  already_verified: { status: 409, message: 'This email address is already verified.' },
  already_member: { status: 409, message: 'This user is already a member of the organization.' },
  totp_already_enabled: { status: 409, message: 'Two-factor authentication is already on; turn it off first.' },
  totp_not_enabled: { status: 409, message: 'Two-factor authentication is not on.' },
  email_code_unavailable: {
    status: 409,
    message:
      'Confirm with your password, authenticator or passkey: an emailed code is only for accounts that have none of them.',
  },
  passkey_required: {
    status: 409,
    message: 'Register a passkey first: an account without a password signs in with one.',
  },
  deletion_not_scheduled: { status: 409, message: 'This account is not scheduled for deletion.' },
  last_owner: { status: 409, message: 'An organization must keep at least one owner.' },
  sso_already_configured: {
    status: 409,
    message: 'The organization already has an SSO connection of the other protocol; remove it first.',
  },
  session_rotated: {
    status: 409,
    message: "Another request has just replaced this session's token; retry with the current token.",
  },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'Send the request body as application/json.' },
  too_many_requests: { status: 429, message: 'Too many requests; try again later.' },
  internal_error: { status: 500, message: 'Something went wrong on our side.' },
  service_unavailable: { status: 503, message: 'The service is unavailable; try again shortly.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** Extra fields that travel in the error body beside statusCode, error and message. */
export type ErrorExtra = Record<string, unknown>;

/** What a DomainError may say other than ERRORS[code]. */
export interface DomainErrorOptions {
  /** A sentence more precise than the code's usual one. */
  message?: string;
  /**
   * Where docs/api.md gives one code two statuses (invalid_totp and passkey_invalid: 401 when
   * signing in or confirming, 400 when enrolling; invalid_token: 400 for a link that does something,
   * 401 for one that signs in).
   */
  status?: number;
}

/** Thrown by services; never an HTTP exception. The filter turns it into the error body of docs/api.md. */
export class DomainError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    readonly extra: ErrorExtra = {},
    options: DomainErrorOptions = {},
  ) {
    super(options.message ?? ERRORS[code].message);
    this.name = 'DomainError';
    this.status = options.status ?? ERRORS[code].status;
  }
}

export interface ErrorBody {
  statusCode: number;
  error: ErrorCode;
  message: string;
  [extra: string]: unknown;
}

/** One field of a `validation_failed` answer and what is wrong with it. */
export interface ValidationDetail {
  field: string;
  problems: string[];
}

/** The one way to say a request is invalid, whether class-validator or a rule found it. */
export function validationFailed(details: ValidationDetail[]): DomainError {
  return new DomainError('validation_failed', { details });
}

export function errorBody(error: DomainError): ErrorBody {
  return { ...error.extra, statusCode: error.status, error: error.code, message: error.message };
}
