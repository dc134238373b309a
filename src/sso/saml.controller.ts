import { Controller, Get, HttpCode, HttpStatus, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiFoundResponse,
  ApiNotFoundResponse,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnsupportedMediaTypeResponse,
  ApiOperation,
  ApiOkResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FORM_TYPE } from '../common/body-parsers';
import { AppConfig } from '../config';
import { AcceptFormBody, Public, setSessionCookie } from '../http';
import { RateLimitByIp } from '../rate-limit/rate-limit.guard';
import { asciiOnly } from '../http/return-to';
import { SamlAcsGuard, SamlLoginGuard } from './saml.guards';
import { escapeHtml, sendPage } from '../http/page';
import type { SamlDryRun, SamlOutcome } from './sso-login.service';
import { prefersJson } from './prefers-json';
import { SamlDryRunDto, SamlPostDto } from './sso.dto';

/**
 * The browser's side of a SAML sign-in: the redirect to the IdP and the assertion consumer service
 * its page posts back to, both driven by passport-saml's strategy (src/sso/saml.strategy.ts) through
 * their guards. Both are public; the ACS takes a form post from the IdP's origin, so it is outside the
 * JSON-only and Origin rules, and the binding cookie, the request id and the assertion's signature
 * stand in for them (SsoLoginService checks all three).
 */
@ApiTags('sso')
@Public()
@Controller('auth/saml')
export class SamlController {
  constructor(private readonly config: AppConfig) {}

  /** Never runs: the strategy answers with its redirect (or the guard with an error). */
  @Get(':id/login')
  @ApiOperation({
    summary: 'Start a SAML sign-in',
    description:
      'Redirects the browser to the IdP with an AuthnRequest. With `stepUp=1` it re-authenticates the current session instead (ForceAuthn).',
  })
  @HttpCode(HttpStatus.FOUND)
  @UseGuards(SamlLoginGuard)
  // Below the SAML guard, so that it runs first: a refused request costs no row and no parse.
  @RateLimitByIp('samlLoginPerIp')
  @ApiParam({ name: 'id', format: 'uuid', description: 'the provider' })
  @ApiQuery({ name: 'returnTo', required: false, description: 'a path on this origin to land on afterwards' })
  @ApiQuery({
    name: 'stepUp',
    required: false,
    description: '`1`: re-authenticate the current session (session required; the IdP is asked for ForceAuthn)',
  })
  @ApiFoundResponse({ description: 'to the IdP with an AuthnRequest (HTTP-Redirect); sets the `saml_binding` cookie' })
  @ApiUnauthorizedResponse({ description: '`unauthenticated` (or `session_expired`): stepUp=1 without a live session' })
  @ApiForbiddenResponse({
    description:
      '`forbidden`: stepUp=1 for a user this provider does not sign in, or one whose step-up `methods` lack `sso` (a password or two-factor)',
  })
  @ApiNotFoundResponse({
    description:
      '`not_found`: no such provider, or its domain is not verified yet and the caller is not a signed-in owner of its organization',
  })
  start(): void {}

  @Post(':id/acs')
  @ApiOperation({
    summary: 'SAML assertion consumer service',
    description:
      'Where the IdP posts its SAMLResponse (a form post). A valid response signs the user in (cookie) and redirects to APP_URL + returnTo. ' +
      "While the provider's domain is not verified, a valid response is a dry run: 200 with what it asserted (an HTML page, or JSON when Accept prefers application/json), and nothing is created.",
  })
  @HttpCode(HttpStatus.FOUND)
  @AcceptFormBody()
  @UseGuards(SamlAcsGuard)
  @RateLimitByIp('samlAcsPerIp')
  @ApiParam({ name: 'id', format: 'uuid', description: 'the provider' })
  @ApiConsumes(FORM_TYPE)
  @ApiBody({ type: SamlPostDto })
  @ApiFoundResponse({ description: 'signed in (`sid` cookie set): to `APP_URL` + returnTo, or `APP_URL/`' })
  @ApiOkResponse({
    type: SamlDryRunDto,
    description:
      "dry run (the provider's domain is not verified): what the sign-in would use; HTML unless Accept prefers JSON",
  })
  @ApiUnauthorizedResponse({ description: '`saml_invalid`: the response was not accepted (the reason is only logged)' })
  @ApiPayloadTooLargeResponse({ description: '`payload_too_large`: a body over 256 KB' })
  @ApiUnsupportedMediaTypeResponse({ description: '`unsupported_media_type`: anything but a form post' })
  acs(@Req() request: FastifyRequest & { user?: SamlOutcome }, @Res() reply: FastifyReply): void {
    const outcome = request.user!;
    if ('dryRun' in outcome) return sendDryRun(reply, outcome.dryRun, request.headers.accept);
    const { session, returnTo } = outcome;
    setSessionCookie(reply, this.config, session.token, session.expiresAt);
    // Stored encoded (sameOriginPath); encoded again for a row written before that rule.
    void reply
      .status(HttpStatus.FOUND)
      .header('Location', `${this.config.appUrl}${(returnTo && asciiOnly(returnTo)) ?? '/'}`)
      .send();
  }
}

/** The dry run's answer: JSON for a client that prefers it, else a page for the person testing the IdP. */
function sendDryRun(reply: FastifyReply, dryRun: SamlDryRun, accept: string | undefined): void {
  if (prefersJson(accept)) {
    void reply.status(HttpStatus.OK).header('Cache-Control', 'no-store').send(SamlDryRunDto.of(dryRun));
    return;
  }
  const row = (label: string, value: string) => `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd>`;
  sendPage(reply, {
    title: 'SAML test sign-in',
    body:
      '<p>The identity provider answered. This domain is not verified yet, so nobody was signed in and ' +
      'nothing was created; once it is, this person would sign in as below.</p><dl>' +
      row('NameID', dryRun.nameId) +
      row('NameID format', dryRun.nameIdFormat ?? '(none)') +
      row('Email address', dryRun.email ?? '(none asserted)') +
      row('Address in the domain', dryRun.emailInDomain ? 'yes' : 'no: this person could not sign in') +
      row('Groups', dryRun.groups.length > 0 ? dryRun.groups.join(', ') : '(none)') +
      row('Role in the organization', dryRun.role) +
      '</dl>',
  });
}
