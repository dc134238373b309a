import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../config';
import { bearerOf, readCookie, sendRotatedToken, sessionCookieName } from '../http';
import type { SessionAuth } from '../http';
import { SessionsService } from '../sessions/sessions.service';

/**
 * The session of a browser on the SSO routes, which are public (the global guard leaves them
 * alone): read as that guard reads it elsewhere, a rotation answered the same way.
 */
@Injectable()
export class BrowserSession {
  private readonly cookie: string;

  constructor(
    private readonly config: AppConfig,
    private readonly sessions: SessionsService,
  ) {
    this.cookie = sessionCookieName(config);
  }

  /** The request's session (bearer or cookie); undefined when it carries none. A dead one answers as elsewhere. */
  async of(request: FastifyRequest, reply: FastifyReply): Promise<SessionAuth | undefined> {
    const token = bearerOf(request) ?? readCookie(request, this.cookie);
    if (!token) return undefined;
    const { user, session, rotated } = await this.sessions.authenticate(token);
    if (rotated) sendRotatedToken(reply, this.config, rotated.token, rotated.expiresAt);
    return { kind: 'session', user, session };
  }
}
