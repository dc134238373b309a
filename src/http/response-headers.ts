import { applyDecorators, Header } from '@nestjs/common';
import type { FastifyReply, onRequestHookHandler, onSendHookHandler } from 'fastify';

/**
 * Every response, errors and unknown routes included: browsers take a body for the type it is
 * declared as, never sniffing JSON into HTML or script.
 */
export const noSniff: onRequestHookHandler = (_request, reply, done) => {
  reply.header('X-Content-Type-Options', 'nosniff');
  done();
};

/**
 * Every answer that does not say how it may be cached is kept out of caches: most carry personal
 * data or depend on the credentials sent, and a shared or back/forward cache must never replay one
 * to someone else. Answers that set their own Cache-Control (static files) keep it.
 */
export const noStoreByDefault: onSendHookHandler = (_request, reply, payload, done) => {
  if (!reply.hasHeader('cache-control')) reply.header('Cache-Control', 'no-store');
  done(null, payload);
};

/**
 * The Swagger UI page: its scripts and stylesheet are its own files, its styles partly inline
 * (the page's own <style> blocks and the style attributes the UI sets), its icons data: URIs; it
 * fetches nothing but from the service, and no page may frame it.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The /docs routes: the UI page and its files never run inside another site's frame. */
export const docsSecurityHeaders: onSendHookHandler = (_request, reply, payload, done) => {
  reply.header('Content-Security-Policy', DOCS_CSP);
  reply.header('X-Frame-Options', 'DENY');
  done(null, payload);
};

/** Keeps a response out of every cache (browser, proxy, back/forward): for bodies that carry secrets. */
export function preventCaching(response: FastifyReply): void {
  response.header('Cache-Control', 'no-store');
}

/**
 * A route whose answer carries a secret (an API key, a TOTP secret, recovery codes, personal data)
 * is never stored by a cache. Responses that set a session token get the same header wherever they
 * are made (setSessionCookie), so a route that sets the cookie needs no decorator.
 */
export const NoStore = () => applyDecorators(Header('Cache-Control', 'no-store'));

/**
 * A logout: besides the session cookie expiring, the browser drops every cookie it holds for the
 * site (Clear-Site-Data), so nothing of the session outlives it in the browser.
 */
export function clearSiteCookies(response: FastifyReply): void {
  response.header('Clear-Site-Data', '"cookies"');
}
