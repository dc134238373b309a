/**
 * An OIDC callback that must not sign anyone in. `reason` is for the log only: the HTTP layer
 * answers 401 oidc_invalid and never tells the client why.
 */
export class OidcRejection extends Error {
  constructor(readonly reason: string) {
    super(`OIDC sign-in rejected: ${reason}`);
    this.name = 'OidcRejection';
  }
}

/** An issuer whose discovery cannot be used; the message is safe to show to the administrator. */
export class OidcIssuerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OidcIssuerError';
  }
}
