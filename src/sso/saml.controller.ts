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
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FORM_TYPE } from '../common/body-parsers';
import { AppConfig } from '../config';
import { AcceptFormBody, Public, setSessionCookie } from '../http';
import { RateLimitByIp } from '../rate-limit/rate-limit.guard';
import { asciiOnly } from './return-to';
import { SamlAcsGuard, SamlLoginGuard } from './saml.guards';
import type { CompletedLogin } from './sso-login.service';
import { SamlPostDto } from './sso.dto';

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
  @ApiForbiddenResponse({ description: '`forbidden`: stepUp=1 for a user this provider does not sign in' })
  @ApiNotFoundResponse({
    description:
      '`not_found`: no such provider, or its domain is not verified yet and the caller is not a signed-in owner of its organization',
  })
  start(): void {}

  @Post(':id/acs')
  @ApiOperation({
    summary: 'SAML assertion consumer service',
    description:
      'Where the IdP posts its SAMLResponse (a form post). A valid response signs the user in (cookie) and redirects to APP_URL + returnTo.',
  })
  @HttpCode(HttpStatus.FOUND)
  @AcceptFormBody()
  @UseGuards(SamlAcsGuard)
  @RateLimitByIp('samlAcsPerIp')
  @ApiParam({ name: 'id', format: 'uuid', description: 'the provider' })
  @ApiConsumes(FORM_TYPE)
  @ApiBody({ type: SamlPostDto })
  @ApiFoundResponse({ description: 'signed in (`sid` cookie set): to `APP_URL` + returnTo, or `APP_URL/`' })
  @ApiUnauthorizedResponse({ description: '`saml_invalid`: the response was not accepted (the reason is only logged)' })
  @ApiPayloadTooLargeResponse({ description: '`payload_too_large`: a body over 256 KB' })
  @ApiUnsupportedMediaTypeResponse({ description: '`unsupported_media_type`: anything but a form post' })
  acs(
    @Req() request: FastifyRequest & { user?: CompletedLogin },
    @Res({ passthrough: true }) reply: FastifyReply,
  ): void {
    const { session, returnTo } = request.user!;
    setSessionCookie(reply, this.config, session.token, session.expiresAt);
    // Stored encoded (sameOriginPath); encoded again for a row written before that rule.
    reply.header('Location', `${this.config.appUrl}${(returnTo && asciiOnly(returnTo)) ?? '/'}`);
  }
}
