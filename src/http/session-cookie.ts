import type { CookieOptions, Request, Response } from 'express';
import { AppConfig } from '../config';

/** `__Host-sid` (Secure, host-only) when APP_URL is https; `sid` otherwise. */
export function sessionCookieName(config: AppConfig): string {
  return config.secureCookies ? '__Host-sid' : 'sid';
}

/** HttpOnly, SameSite=Lax, Path=/; Secure on https. Setting and clearing must name the same ones. */
function cookieOptions(config: AppConfig): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, path: '/' };
}

export function setSessionCookie(response: Response, config: AppConfig, token: string, expiresAt: Date): void {
  response.cookie(sessionCookieName(config), token, { ...cookieOptions(config), expires: expiresAt });
}

export function clearSessionCookie(response: Response, config: AppConfig): void {
  response.clearCookie(sessionCookieName(config), cookieOptions(config));
}

/** Reads one cookie without parsing the others. */
export function readCookie(request: Request, name: string): string | undefined {
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

/** A replaced token travels in the cookie and in X-Session-Token, for clients that hold it themselves. */
export function sendRotatedToken(response: Response, config: AppConfig, token: string, expiresAt: Date): void {
  setSessionCookie(response, config, token, expiresAt);
  response.setHeader('X-Session-Token', token);
}
