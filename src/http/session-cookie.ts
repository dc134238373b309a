import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '../config';
import { preventCaching } from './response-headers';

/** `__Host-sid` (Secure, host-only) when APP_URL is https; `sid` otherwise. */
export function sessionCookieName(config: AppConfig): string {
  return config.secureCookies ? '__Host-sid' : 'sid';
}

/**
 * HttpOnly, SameSite=Lax, Path=/; Secure on https. Setting and clearing name the same attributes,
 * in the order the `cookie` package writes them.
 */
function sessionCookie(config: AppConfig, value: string, expires: Date): string {
  const secure = config.secureCookies ? '; Secure' : '';
  return `${sessionCookieName(config)}=${encodeURIComponent(value)}; Path=/; Expires=${expires.toUTCString()}; HttpOnly${secure}; SameSite=Lax`;
}

const EPOCH = new Date(1);

/** The answer that carries a session token is never cached (nor is its X-Session-Token, see sendRotatedToken). */
export function setSessionCookie(response: FastifyReply, config: AppConfig, token: string, expiresAt: Date): void {
  response.header('Set-Cookie', sessionCookie(config, token, expiresAt));
  preventCaching(response);
}

export function clearSessionCookie(response: FastifyReply, config: AppConfig): void {
  response.header('Set-Cookie', sessionCookie(config, '', EPOCH));
}

/** Reads one cookie without parsing the others. */
export function readCookie(request: { headers: IncomingHttpHeaders }, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) {
      const value = part.slice(separator + 1).trim();
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}

const BEARER = /^Bearer\s+(\S+)$/i;

/** The `Authorization: Bearer …` value (a session token or an API key), if the request carries one. */
export function bearerOf(request: { headers: IncomingHttpHeaders }): string | undefined {
  return BEARER.exec(request.headers.authorization ?? '')?.[1];
}

/** A replaced token travels in the cookie and in X-Session-Token, for clients that hold it themselves. */
export function sendRotatedToken(response: FastifyReply, config: AppConfig, token: string, expiresAt: Date): void {
  setSessionCookie(response, config, token, expiresAt);
  response.header('X-Session-Token', token);
}
