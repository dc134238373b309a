import { applyDecorators, Header } from '@nestjs/common';
import type { FastifyReply, onRequestHookHandler } from 'fastify';

/**
 * Every response, errors and unknown routes included: browsers take a body for the type it is
 * declared as, never sniffing JSON into HTML or script.
 */
export const noSniff: onRequestHookHandler = (_request, reply, done) => {
  reply.header('X-Content-Type-Options', 'nosniff');
  done();
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
