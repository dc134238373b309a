/** Longest returnTo kept (the saml_requests.return_to column). */
export const MAX_RETURN_TO_LENGTH = 2048;

const BASE = 'http://return-to.invalid';

/**
 * `returnTo` when it is a path on our own origin, else null: it must start with one '/', hold no
 * backslash (browsers read `/\evil.test` as `//evil.test`), no whitespace or control character, and
 * resolve against our origin to our origin. The ACS redirects to APP_URL + this path, so anything
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
  return resolved.origin === BASE ? returnTo : null;
}
