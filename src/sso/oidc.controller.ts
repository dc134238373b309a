import { randomBytes } from 'node:crypto';
import { Controller, Get, HttpCode, HttpStatus, Logger, Param, Query, Req, Res } from '@nestjs/common';
import {
  ApiForbiddenResponse,
  ApiFoundResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientInfoOf } from '../common/client-info';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { parseId, Public, readCookie, setSessionCookie } from '../http';
import { escapeHtml, sendPage } from '../http/page';
import { asciiOnly } from '../http/return-to';
import { RateLimitByIp } from '../rate-limit/rate-limit.guard';
import { BrowserSession } from './browser-session';
import { OidcLoginService, OIDC_REQUEST_TTL_MS } from './oidc-login.service';
import { OidcRejection } from './oidc/errors';
import { OidcDryRunDto } from './oidc.dto';
import { prefersJson } from './prefers-json';
import type { SsoDryRun } from './sso-sign-in.service';

/** The cookie that ties a callback to the browser that started the login (only its hash is stored). */
export const OIDC_BINDING_COOKIE = 'oidc_binding';

/**
 * The browser's side of an OIDC sign-in: the redirect to the OP's authorization endpoint and the
 * callback it sends the browser back to. Both are public GETs; the binding cookie, the single-use
 * state and the checked ID token stand in for the Origin rule (OidcLoginService checks them).
 */
@ApiTags('sso')
@Public()
@Controller('auth/oidc')
export class OidcController {
  private readonly logger = new Logger('OidcLogin');

  constructor(
    private readonly config: AppConfig,
    private readonly browserSession: BrowserSession,
    private readonly logins: OidcLoginService,
  ) {}

  @Get(':id/login')
  @ApiOperation({
    summary: 'Start an OIDC sign-in',
    description:
      'Redirects the browser to the OP’s authorization endpoint (code flow, PKCE S256, state and nonce bound to this browser by a cookie, ten minutes, single use). ' +
      'With `stepUp=1` it re-authenticates the current session instead (`prompt=login`, `max_age=0`).',
  })
  @HttpCode(HttpStatus.FOUND)
  @RateLimitByIp('oidcLoginPerIp')
  @ApiParam({ name: 'id', format: 'uuid', description: 'the connection' })
  @ApiQuery({ name: 'returnTo', required: false, description: 'a path on this origin to land on afterwards' })
  @ApiQuery({
    name: 'stepUp',
    required: false,
    description: '`1`: re-authenticate the current session (session required; the OP is asked for a new login)',
  })
  @ApiFoundResponse({ description: 'to the OP’s authorization endpoint; sets the `oidc_binding` cookie' })
  @ApiUnauthorizedResponse({ description: '`unauthenticated` (or `session_expired`): stepUp=1 without a live session' })
  @ApiForbiddenResponse({
    description:
      '`forbidden`: stepUp=1 for a user this connection does not confirm (a password, two-factor or passkey)',
  })
  @ApiNotFoundResponse({
    description:
      '`not_found`: no such OIDC connection, or its domain is not verified yet and the caller is not a signed-in owner of its organization',
  })
  async start(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const providerId = parseId(id);
    let stepUpSession: { sessionId: string; userId: string } | undefined;
    let signedInUserId: string | undefined;
    if (query.stepUp !== undefined) {
      if (query.stepUp !== '1') throw new DomainError('bad_request', {}, { message: 'stepUp must be 1 when given.' });
      const current = await this.browserSession.of(request, reply);
      if (!current) throw new DomainError('unauthenticated');
      signedInUserId = current.user.id;
      stepUpSession = { sessionId: current.session.id, userId: current.user.id };
    } else {
      // Only to let an owner test a connection whose domain is not verified yet: a dead session is no one.
      signedInUserId = (await this.browserSession.of(request, reply).catch(() => undefined))?.user.id;
    }
    const bindingToken = randomBytes(32).toString('base64url');
    const location = await this.logins.start(providerId, {
      returnTo: typeof query.returnTo === 'string' ? query.returnTo : undefined,
      bindingToken,
      stepUpSession,
      signedInUserId,
    });
    void reply
      .status(HttpStatus.FOUND)
      .header('Set-Cookie', this.bindingCookie(providerId, bindingToken, OIDC_REQUEST_TTL_MS / 1000))
      .header('Cache-Control', 'no-store')
      .header('Location', location)
      .send();
  }

  @Get(':id/callback')
  @ApiOperation({
    summary: 'OIDC redirect URI',
    description:
      'Where the OP sends the browser back with `code` and `state` (or `error`). The state must be one this browser started; the code is redeemed once; ' +
      'the ID token is checked (the OP’s keys with an advertised public-key algorithm, `iss`, `aud`, `azp`, `exp`/`iat` within 5 minutes, `nonce`); ' +
      'an `email` of the connection’s domain signs in (cookie) and redirects to APP_URL + returnTo. ' +
      "While the connection's domain is not verified, it is a dry run: 200 with what the OP said (HTML, or JSON when Accept prefers it), nothing created.",
  })
  @HttpCode(HttpStatus.FOUND)
  @RateLimitByIp('oidcCallbackPerIp')
  @ApiParam({ name: 'id', format: 'uuid', description: 'the connection' })
  @ApiQuery({ name: 'code', required: false })
  @ApiQuery({ name: 'state', required: false })
  @ApiQuery({ name: 'error', required: false, description: 'the OP refused or failed; answered 401 oidc_invalid' })
  @ApiFoundResponse({ description: 'signed in (`sid` cookie set): to `APP_URL` + returnTo, or `APP_URL/`' })
  @ApiOkResponse({
    type: OidcDryRunDto,
    description:
      "dry run (the connection's domain is not verified): what the sign-in would use; HTML unless Accept prefers JSON",
  })
  @ApiUnauthorizedResponse({ description: '`oidc_invalid`: the answer was not accepted (the reason is only logged)' })
  async callback(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const providerId = parseId(id);
    const bindingToken = readCookie(request, OIDC_BINDING_COOKIE);
    const currentSession = await this.browserSession.of(request, reply).catch(() => undefined);
    // Spent whatever the outcome: a callback is answered once.
    reply.header('Set-Cookie', this.bindingCookie(providerId, '', 0));
    let outcome;
    try {
      outcome = await this.logins.callback(providerId, {
        query,
        bindingToken,
        client: clientInfoOf(request),
        currentSession,
      });
    } catch (error) {
      if (!(error instanceof OidcRejection)) throw error;
      this.logger.warn({ msg: 'OIDC sign-in rejected', providerId, reason: error.reason });
      throw new DomainError('oidc_invalid');
    }
    if ('dryRun' in outcome) return sendDryRun(reply, outcome.dryRun, request.headers.accept);
    const { session, returnTo } = outcome;
    setSessionCookie(reply, this.config, session.token, session.expiresAt);
    void reply
      .status(HttpStatus.FOUND)
      .header('Location', `${this.config.appUrl}${(returnTo && asciiOnly(returnTo)) ?? '/'}`)
      .send();
  }

  /**
   * HttpOnly, for this connection's routes only. The OP sends the browser back with a top-level GET,
   * which carries a SameSite=Lax cookie.
   */
  private bindingCookie(providerId: string, value: string, maxAge: number): string {
    const secure = this.config.secureCookies ? 'Secure; ' : '';
    return `${OIDC_BINDING_COOKIE}=${value}; Path=/auth/oidc/${providerId}/; Max-Age=${maxAge}; HttpOnly; ${secure}SameSite=Lax`;
  }
}

/** The dry run's answer: JSON for a client that prefers it, else a page for the person testing the OP. */
function sendDryRun(reply: FastifyReply, dryRun: SsoDryRun, accept: string | undefined): void {
  if (prefersJson(accept)) {
    void reply.status(HttpStatus.OK).header('Cache-Control', 'no-store').send(OidcDryRunDto.of(dryRun));
    return;
  }
  const row = (label: string, value: string) => `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>`;
  sendPage(reply, {
    title: 'OIDC test sign-in',
    body:
      '<p>The OpenID Provider answered. This domain is not verified yet, so nobody was signed in and ' +
      'nothing was created; once it is, this person would sign in as below.</p><dl>' +
      row('Subject (sub)', dryRun.subject) +
      row('Email address', dryRun.email ?? '(none given)') +
      row('Address in the domain', dryRun.emailInDomain ? 'yes' : 'no: this person could not sign in') +
      row('Groups', dryRun.groups.length > 0 ? dryRun.groups.join(', ') : '(none)') +
      row('Role in the organization', dryRun.role) +
      '</dl>',
  });
}
