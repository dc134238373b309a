/** Longest returnTo kept (the return_to columns of saml_requests and email_sign_in_codes). */
export const MAX_RETURN_TO_LENGTH = 2048;

const BASE = 'http://return-to.invalid';

/**
 * `returnTo` when it is a path on our own origin, else null: it must start with one '/', hold no
 * backslash (browsers read `/\evil.test` as `//evil.test`), no whitespace or control character, and
 * resolve against our origin to our origin. The ACS (and the email sign-in page) redirect to APP_URL + this path, so anything
 * else could send the freshly signed-in browser elsewhere (an open redirect).
 */
export function sameOriginPath(returnTo: unknown): string | null {
  if (typeof returnTo !== 'string' || returnTo.length === 0 || returnTo.length > MAX_RETURN_TO_LENGTH) return null;
  if (!returnTo.startsWith('/') || returnTo.startsWith('//')) return null;
  if (returnTo.includes('\\')) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\s]/u.test(returnTo)) return null;
  let resolved: URL;
  try {
    resolved = new URL(returnTo, BASE);
  } catch {
    return null;
  }
  if (resolved.origin !== BASE) return null;
  const encoded = asciiOnly(returnTo);
  return encoded !== null && encoded.length <= MAX_RETURN_TO_LENGTH ? encoded : null;
}

/**
 * The text with every character outside printable ASCII percent-encoded as UTF-8 (what browsers send
 * for them), or null when it holds a lone surrogate. A Location header takes Latin-1 at most, and
 * Node refuses anything beyond: a redirect must carry the encoded form.
 */
export function asciiOnly(text: string): string | null {
  try {
    return text.replace(/[^\x21-\x7e]/gu, (char) => encodeURIComponent(char));
  } catch {
    return null;
  }
}
