import type { IncomingHttpHeaders } from 'node:http';

/** Where a browser says the request comes from: its Origin, else its Referer's origin; undefined without either. */
export function requestOrigin(headers: IncomingHttpHeaders): string | undefined {
  if (headers.origin !== undefined) return headers.origin;
  if (headers.referer === undefined) return undefined;
  try {
    return new URL(headers.referer).origin;
  } catch {
    return undefined;
  }
}

/** Whether a state-changing browser request comes from one of the trusted origins (the CSRF rule). */
export function fromTrustedOrigin(headers: IncomingHttpHeaders, trustedOrigins: ReadonlySet<string>): boolean {
  const origin = requestOrigin(headers);
  return origin !== undefined && trustedOrigins.has(origin);
}
