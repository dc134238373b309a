import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { ADMIN_KEY_PREFIX, API_KEY_PREFIX, SCIM_TOKEN_PREFIX } from '../common/crypto';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { SessionsService } from '../sessions/sessions.service';
import { ApiKeysService } from '../api-keys/api-keys.service';
import {
  ALLOWS_API_KEY,
  AuthenticatedRequest,
  IS_PUBLIC,
  bearerOf,
  fromTrustedOrigin,
  requestOrigin,
  clearSessionCookie,
  readCookie,
  routeHas,
  sendRotatedToken,
  sessionCookieName,
  TOLERATES_DEAD_SESSION,
} from '../http';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Global: every route needs a session unless marked @Public(); an API key (`Bearer ak_…`) reaches
 * only routes marked @AllowApiKey(), an admin key (`Bearer adm_…`) none (@AdminRoute()s are public here); a @ToleratesDeadSession() route (logout) is reached without a
 * live session too, and takes a token a rotation replaced as its session's, however long ago. A bearer
 * token or the session cookie is resolved in one query; a cookie-authenticated unsafe request must also
 * come from a trusted origin (CSRF), which is checked first since it needs no query.
 */
@Injectable()
export class SessionAuthGuard implements CanActivate {
  private readonly cookieName: string;
  private readonly trustedOrigins: Set<string>;

  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionsService,
    private readonly apiKeys: ApiKeysService,
    private readonly config: AppConfig,
  ) {
    this.cookieName = sessionCookieName(config);
    this.trustedOrigins = new Set(config.trustedOrigins);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (routeHas(this.reflector, IS_PUBLIC, context)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const bearer = bearerOf(request);
    // An admin key opens the operators' routes alone (which are public here), and is never looked up as a session.
    if (bearer?.startsWith(ADMIN_KEY_PREFIX)) throw new DomainError('unauthenticated');
    // A directory's token opens /scim/v2 (its own guard) and nothing else.
    if (bearer?.startsWith(SCIM_TOKEN_PREFIX)) throw new DomainError('unauthenticated');
    if (bearer?.startsWith(API_KEY_PREFIX)) {
      if (!routeHas(this.reflector, ALLOWS_API_KEY, context)) {
        throw new DomainError('api_key_not_allowed');
      }
      request.auth = await this.apiKeys.authenticate(bearer);
      return true;
    }
    const token = bearer ?? readCookie(request, this.cookieName);
    const tolerant = routeHas(this.reflector, TOLERATES_DEAD_SESSION, context);
    if (!token) {
      if (tolerant) return true;
      throw new DomainError('unauthenticated');
    }
    if (!bearer && !SAFE_METHODS.has(request.method) && !fromTrustedOrigin(request.headers, this.trustedOrigins)) {
      throw this.csrfRejected(request);
    }
    const response = context.switchToHttp().getResponse<FastifyReply>();
    try {
      const { user, session, rotated } = await this.sessions.authenticate(token, { acceptReplaced: tolerant });
      request.auth = { kind: 'session', user, session };
      if (rotated) sendRotatedToken(response, this.config, rotated.token, rotated.expiresAt);
    } catch (error) {
      // A dead cookie is cleared so the browser stops sending it.
      if (!bearer && error instanceof DomainError) clearSessionCookie(response, this.config);
      if (tolerant && error instanceof DomainError) return true;
      throw error;
    }
    return true;
  }

  /** Names the origin that came and the settings that would trust it: the first thing a developer needs. */
  private csrfRejected(request: AuthenticatedRequest): DomainError {
    const came = requestOrigin(request.headers);
    const trusted = [...this.trustedOrigins].join(', ');
    const message =
      came === undefined
        ? `The request carried neither Origin nor Referer; a cookie request must come from a trusted origin (${trusted}).`
        : `The request came from ${came}, which is not a trusted origin (${trusted}); ` +
          `set APP_URL to it or add it to CORS_ORIGINS to trust it.`;
    return new DomainError('csrf_rejected', {}, { message });
  }
}
