import { DomainError } from '../common/errors';

/**
 * What a checked credential proved, as authentication method references (RFC 8176): `pwd` a
 * password, `otp` an authenticator or recovery code, `hwk` a passkey (a key held by an authenticator
 * that verified its user: two factors in one), `email` a code or link mailed to the address, `sso`
 * an assertion of the organization's identity provider.
 */
export type Amr = 'pwd' | 'otp' | 'hwk' | 'email' | 'sso';

/**
 * A credential that did not prove what it claimed. The only error an attempt limiter counts: any
 * other (a second factor still to send, a policy refusal, a database outage) is no guess.
 */
export class CredentialRejected extends DomainError {}
