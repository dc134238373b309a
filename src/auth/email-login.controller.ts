import { Body, Controller, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { AppConfig } from '../config';
import { EmailSignInResultDto, VerifyEmailSignInDto } from '../email-sign-in/email-sign-in.dto';
import { Public, setSessionCookie } from '../http';
import { RateLimitByIp } from '../rate-limit/rate-limit.guard';
import { EmailLogin } from './email-login';

/** The JSON route of email sign-in (the built-in page /sign-in/email takes the same way). */
@ApiTags('email-sign-in')
@Controller('auth')
export class EmailLoginController {
  constructor(
    private readonly emailLogin: EmailLogin,
    private readonly config: AppConfig,
  ) {}

  @Public()
  @Post('email/verify')
  @ApiOperation({
    summary: 'Sign in with the mailed link or code',
    description:
      'With `{token}` from the link or `{email, code}` from the mail, plus `totpCode` when the account has two-factor on. ' +
      'Sets the session cookie and answers the token; the address counts as verified. An address without an account ' +
      'gets one (`created: true`); an account that never verified its address is taken over by the mailbox holder: its ' +
      'password, sessions and API keys end.',
  })
  @HttpCode(HttpStatus.OK)
  @RateLimitByIp('emailSignInVerifyPerIp')
  @ApiOkResponse({ type: EmailSignInResultDto, description: 'Signed in; the cookie is set.' })
  @ApiUnauthorizedResponse({
    description:
      '`invalid_token` (unknown, expired, used or replaced; five wrong codes or authenticator codes end it), ' +
      '`totp_required` (nothing is spent) or `invalid_totp`',
  })
  @ApiBadRequestResponse({ description: '`validation_failed`: neither `token` nor `email` and `code`' })
  @ApiForbiddenResponse({ description: '`sso_required` (with `loginUrl`): the address is of an SSO-enforced domain' })
  async verify(
    @Body() body: VerifyEmailSignInDto,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<EmailSignInResultDto> {
    const signedIn = await this.emailLogin.login(body, client);
    setSessionCookie(res, this.config, signedIn.session.token, signedIn.session.expiresAt);
    return EmailSignInResultDto.of(signedIn);
  }
}
