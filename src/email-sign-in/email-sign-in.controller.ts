import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { NoBody } from '../common/no-body.pipe';
import { AllowPendingDeletion, AllowUnverified, CurrentSession, Public } from '../http';
import type { SessionAuth } from '../http';
import { RateLimitByIp, RateLimited } from '../rate-limit/rate-limit.guard';
import { EmailConfirmationService } from './email-confirmation.service';
import { StartEmailSignInDto } from './email-sign-in.dto';
import { EmailSignInService } from './email-sign-in.service';

@ApiTags('email-sign-in')
@Controller('auth')
export class EmailSignInController {
  constructor(
    private readonly signIn: EmailSignInService,
    private readonly confirmation: EmailConfirmationService,
  ) {}

  @Public()
  @Post('email/start')
  @ApiOperation({
    summary: 'Mail a sign-in link and code',
    description:
      'Mails the address a link (`${APP_URL}/sign-in/email?token=…`) and a 6-digit code, both single use for 15 minutes; ' +
      'a new request replaces the previous one. The answer is the same, in about the same time, whether or not the ' +
      'address has an account: an unknown address gets a link that creates one (verified, without a password).',
  })
  @HttpCode(HttpStatus.ACCEPTED)
  @RateLimitByIp('emailSignInPerIp')
  @RateLimited('emailSignInPerAddress')
  @ApiAcceptedResponse({ description: 'Always, for any address: the mail is on its way.' })
  @ApiBadRequestResponse({ description: '`validation_failed`, e.g. a `returnTo` that is not a path on this origin' })
  @ApiForbiddenResponse({ description: '`sso_required` (with `loginUrl`): the address is of an SSO-enforced domain' })
  async start(@Body() body: StartEmailSignInDto, @Client() client: ClientInfo): Promise<void> {
    await this.signIn.start(body, client);
  }

  @Post('confirm/email')
  @ApiOperation({
    summary: 'Mail a confirmation code (step-up)',
    description:
      'For accounts without a password, an authenticator or a passkey: mails a 6-digit code, single use for 10 minutes, ' +
      'that confirms this session only (POST /auth/confirm with `emailCode`). A new request replaces the previous code.',
  })
  @AllowUnverified()
  @AllowPendingDeletion()
  @HttpCode(HttpStatus.ACCEPTED)
  @RateLimited('emailConfirmCodesPerUser')
  @ApiAcceptedResponse({ description: 'The code is on its way to the account’s address.' })
  @ApiConflictResponse({
    description: '`email_code_unavailable`: the account has a password, an authenticator or a passkey; confirm with it',
  })
  @ApiForbiddenResponse({
    description: '`sso_required` (with `loginUrl`): under enforced SSO the identity provider confirms',
  })
  async sendConfirmationCode(
    @NoBody() _: undefined,
    @CurrentSession() auth: SessionAuth,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.confirmation.sendCode(auth, client);
  }
}
