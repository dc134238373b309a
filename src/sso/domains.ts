import { normaliseDomain } from '../common/email-address';

/*
 * Email domains an organization may claim for SSO. Free and public mail domains (gmail.com and the
 * like) belong to no organization: the list is the email-providers package's.
 */

// The package is ESM at its root but its JSON lists load with require (no exports map).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const PUBLIC_MAIL_DOMAINS: ReadonlySet<string> = new Set(require('email-providers/all.json') as string[]);

export { normaliseDomain };

/** The normalised domain of an address; undefined when it has none. */
export function emailDomain(email: string): string | undefined {
  const at = email.lastIndexOf('@');
  return at < 0 ? undefined : normaliseDomain(email.slice(at + 1));
}

/** A public mail domain, or a subdomain of one (mail.gmail.com). Expects a normalised domain. */
export function isPublicMailDomain(domain: string): boolean {
  const labels = domain.split('.');
  for (let i = 0; i <= labels.length - 2; i++) {
    if (PUBLIC_MAIL_DOMAINS.has(labels.slice(i).join('.'))) return true;
  }
  return false;
}
