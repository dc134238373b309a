import type { VerifiedProfile } from '../sso-sign-in.service';
import { OidcRejection } from './errors';

const MAX_GROUPS = 1000;

/** The groups claim: an array of strings, or one space-separated string; anything else lists none. */
export function groupsOf(value: unknown): string[] {
  const groups = Array.isArray(value)
    ? value.filter((group): group is string => typeof group === 'string')
    : typeof value === 'string'
      ? value.split(/\s+/)
      : [];
  return groups.filter((group) => group.length > 0).slice(0, MAX_GROUPS);
}

function stringClaim(value: unknown, maxLength: number): string | null {
  return typeof value === 'string' && value.trim().length > 0 ? value.trim().slice(0, maxLength) : null;
}

/**
 * The profile the ID token's claims (with userinfo's, which the ID token's override) give: `sub`,
 * the address unless the OP says it is not verified, the name, the groups and when the person
 * authenticated (`auth_time`, else the token's `iat`).
 */
export function profileOf(
  idToken: Record<string, unknown>,
  userinfo: Record<string, unknown> | undefined,
  groupsClaim: string | null,
): VerifiedProfile {
  const claims = { ...userinfo, ...idToken };
  const subject = stringClaim(idToken.sub, 1024);
  if (!subject || subject !== idToken.sub) throw new OidcRejection('the ID token has no usable sub');
  if (claims.email_verified === false || claims.email_verified === 'false') {
    throw new OidcRejection('the OP says the address is not verified (email_verified: false)');
  }
  const authTime = typeof idToken.auth_time === 'number' ? idToken.auth_time : (idToken.iat as number);
  return {
    subject,
    email: stringClaim(claims.email, 320),
    name: stringClaim(claims.name, 100),
    groups: groupsClaim ? groupsOf(claims[groupsClaim]) : [],
    authenticatedAt: new Date(authTime * 1000),
  };
}
