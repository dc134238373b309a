import { randomBytes } from 'node:crypto';
import { Controller, Get, HttpCode, HttpStatus, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiForbiddenResponse,
  ApiFoundResponse,
  ApiNotFoundResponse,
  ApiPayloadTooLargeResponse,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FORM_TYPE } from '../common/body-parsers';
import { clientInfoOf } from '../common/client-info';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import {
  AcceptFormBody,
  bearerOf,
  IdParam,
  Public,
  readCookie,
  sendRotatedToken,
  sessionCookieName,
  setSessionCookie,
} from '../http';
import type { SessionAuth } from '../http';
import { SessionsService } from '../sessions/sessions.service';
import { SamlRejection } from './saml';
import { SsoLoginService } from './sso-login.service';

/** The cookie that ties an ACS post to the browser that started the login (only its hash is stored). */
export const BINDING_COOKIE = 'saml_binding';
/** As long as an AuthnRequest is answered (saml_requests keeps it 10 minutes). */
const BINDING_MAX_AGE_SECONDS = 600;

/**
 * The browser's side of a SAML sign-in: the redirect to the IdP and the assertion consumer service
 * its page posts back to. Both are public; the ACS takes a form post from the IdP's origin, so it
 * is outside the JSON-only and Origin rules, and the binding cookie, the request id and the
 * assertion's signature stand in for them (SsoLoginService checks all three).
 */
@ApiTags('sso')
@Public()
@Controller('auth/saml')
export class SamlController {
  private readonly sessionCookie: string;

  constructor(
    private readonly login: SsoLoginService,
    private readonly sessions: SessionsService,
    private readonly config: AppConfig,
  ) {
    this.sessionCookie = sessionCookieName(config);
  }

  @Get(':id/login')
  @HttpCode(HttpStatus.FOUND)
  @ApiQuery({ name: 'returnTo', required: false, description: 'a path on this origin to land on afterwards' })
  @ApiQuery({
    name: 'stepUp',
    required: false,
    description: '`1`: re-authenticate the current session (session required; the IdP is asked for ForceAuthn)',
  })
  @ApiFoundResponse({ description: 'to the IdP with an AuthnRequest (HTTP-Redirect); sets the `saml_binding` cookie' })
  @ApiUnauthorizedResponse({ description: '`unauthenticated` (or `session_expired`): stepUp=1 without a live session' })
  @ApiForbiddenResponse({ description: '`forbidden`: stepUp=1 for a user this provider does not sign in' })
  @ApiNotFoundResponse({ description: '`not_found`: no such provider' })
  async start(
    @IdParam('id') providerId: string,
    @Query('returnTo') returnTo: unknown,
    @Query('stepUp') stepUp: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    let stepUpSession: { sessionId: string; userId: string } | undefined;
    if (stepUp !== undefined) {
      if (stepUp !== '1') throw new DomainError('bad_request', {}, { message: 'stepUp must be 1 when given.' });
      const current = await this.currentSession(request, reply);
      if (!current) throw new DomainError('unauthenticated');
      // Only a user this provider signs in can confirm their identity there.
      if (current.user.ssoProviderId !== providerId) throw new DomainError('forbidden');
      stepUpSession = { sessionId: current.session.id, userId: current.user.id };
    }
    const bindingToken = randomBytes(32).toString('base64url');
    const { redirectUrl } = await this.login.startLogin(providerId, {
      returnTo: typeof returnTo === 'string' ? returnTo : undefined,
      bindingToken,
      stepUpSession,
    });
    reply.header('Set-Cookie', this.bindingCookie(providerId, bindingToken, BINDING_MAX_AGE_SECONDS));
    reply.header('Location', redirectUrl);
  }

  @Post(':id/acs')
  @HttpCode(HttpStatus.FOUND)
  @AcceptFormBody()
  @ApiFoundResponse({ description: 'signed in (`sid` cookie set): to `APP_URL` + returnTo, or `APP_URL/`' })
  @ApiUnauthorizedResponse({ description: '`saml_invalid`: the response was not accepted (the reason is only logged)' })
  @ApiPayloadTooLargeResponse({ description: '`payload_too_large`: a body over 256 KB' })
  @ApiUnsupportedMediaTypeResponse({ description: '`unsupported_media_type`: anything but a form post' })
  async acs(
    @IdParam('id') providerId: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    // @AcceptFormBody lets JSON in too; an IdP only ever posts a form.
    if (!isFormPost(request.headers['content-type'])) throw new DomainError('unsupported_media_type');
    const body = request.body as Record<string, unknown> | undefined;
    const current = await this.currentSession(request, reply).catch(() => undefined);
    let completed;
    try {
      completed = await this.login.completeLogin(
        providerId,
        body?.SAMLResponse,
        readCookie(request, BINDING_COOKIE),
        clientInfoOf(request),
        current,
      );
    } catch (error) {
      // Logged with its reason by SsoLoginService; the answer never says why.
      if (error instanceof SamlRejection) throw new DomainError('saml_invalid');
      throw error;
    }
    const { session, returnTo } = completed;
    reply.header('Set-Cookie', this.bindingCookie(providerId, '', 0));
    setSessionCookie(reply, this.config, session.token, session.expiresAt);
    reply.header('Location', `${this.config.appUrl}${returnTo ?? '/'}`);
  }

  /**
   * The request's session (bearer or cookie), resolved as the global guard would, on these public
   * routes; undefined when the request carries none. A dead one answers as it would elsewhere.
   */
  private async currentSession(request: FastifyRequest, reply: FastifyReply): Promise<SessionAuth | undefined> {
    const token = bearerOf(request) ?? readCookie(request, this.sessionCookie);
    if (!token) return undefined;
    const { user, session, rotated } = await this.sessions.authenticate(token);
    if (rotated) sendRotatedToken(reply, this.config, rotated.token, rotated.expiresAt);
    return { kind: 'session', user, session };
  }

  /**
   * HttpOnly, for this provider's routes only. On https the ACS post comes cross-site from the IdP,
   * so the cookie must be SameSite=None (and so Secure); on http (development) Lax is what browsers keep.
   */
  private bindingCookie(providerId: string, value: string, maxAge: number): string {
    const sameSite = this.config.secureCookies ? 'Secure; SameSite=None' : 'SameSite=Lax';
    return `${BINDING_COOKIE}=${value}; Path=/auth/saml/${providerId}/; Max-Age=${maxAge}; HttpOnly; ${sameSite}`;
  }
}

function isFormPost(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() === FORM_TYPE;
}
