/**
 * A SAML response that must not sign anyone in. `reason` is for the log only: the HTTP layer answers
 * 401 saml_invalid and never tells the client why, so an attacker learns nothing from probing.
 */
export class SamlRejection extends Error {
  constructor(readonly reason: string) {
    super(`SAML response rejected: ${reason}`);
    this.name = 'SamlRejection';
  }
}

/**
 * An IdP setting an administrator gave (certificate, metadata document) that cannot be used. The
 * message names what is wrong or missing and is safe to show to that administrator.
 */
export class SamlConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SamlConfigError';
  }
}
