import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiConflictResponse,
  ApiOkResponse,
  ApiTags,
  ApiOperation,
} from '@nestjs/swagger';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { NoBody } from '../common/no-body.pipe';
import { RateLimitByIp, RateLimited } from '../rate-limit/rate-limit.guard';
import { UserDto } from '../users/user.dto';
import { ChangeEmailDto, VerifiedUserDto, VerifyEmailDto } from './verification.dto';
import { VerificationService } from './verification.service';
import { AllowApiKey, AllowUnverified, CurrentAuth, CurrentSession, Public, RequireStepUp } from '../http';
import type { AuthContext, SessionAuth } from '../http';

@ApiTags('verification')
@Controller()
export class VerificationController {
  constructor(private readonly verification: VerificationService) {}

  @Public()
  @Post('auth/verify-email')
  @ApiOperation({
    summary: 'Verify the email address',
    description: 'With the token from the mailed link; the token is single-use.',
  })
  @HttpCode(HttpStatus.OK)
  @RateLimitByIp('verifyEmailPerIp')
  @ApiOkResponse({ type: VerifiedUserDto })
  @ApiBadRequestResponse({
    description: '`invalid_token`: unknown, expired, used, or for an address the user no longer has',
  })
  async verify(@Body() body: VerifyEmailDto, @Client() client: ClientInfo): Promise<VerifiedUserDto> {
    return VerifiedUserDto.of(await this.verification.verify(body.token, client));
  }

  @Post('auth/resend-verification')
  @ApiOperation({
    summary: 'Send the verification link again',
    description: 'Mails a new link; earlier links stop working.',
  })
  @HttpCode(HttpStatus.ACCEPTED)
  @AllowUnverified()
  @AllowApiKey()
  @ApiAcceptedResponse({ description: 'A new link is mailed; earlier ones stop working.' })
  @ApiConflictResponse({ description: '`already_verified`' })
  @RateLimited('resendVerificationPerMinute', 'resendVerificationPerHour', 'verificationMailsPerAddress')
  async resend(@NoBody() _: undefined, @CurrentAuth() auth: AuthContext): Promise<void> {
    await this.verification.resend(auth.user);
  }

  @Post('me/email')
  @ApiOperation({
    summary: 'Change the email address',
    description:
      'Needs a recent step-up. The new address is unverified until its link is followed; the old address gets a notice. ' +
      'Until then the new address reserves nothing: a signup with it wins and sends this account back to its previous ' +
      'verified address (so does a change not verified within VERIFICATION_TOKEN_TTL), and a reset asked for it mails nothing.',
  })
  @HttpCode(HttpStatus.OK)
  @AllowUnverified()
  @RequireStepUp()
  @ApiOkResponse({
    type: UserDto,
    description: 'The new address, unverified; a link goes to it and a notice to the old one.',
  })
  @ApiConflictResponse({
    description:
      '`email_taken`: another account has the address (even unverified, after its own change) or will return to it',
  })
  @ApiForbiddenResponse({
    description:
      '`sso_required` (with `loginUrl`): an account its SSO provider signed in cannot move out of an enforced domain',
  })
  @RateLimited('emailChangesPerUser', 'verificationMailsPerAddress')
  async changeEmail(
    @CurrentSession() auth: SessionAuth,
    @Body() body: ChangeEmailDto,
    @Client() client: ClientInfo,
  ): Promise<UserDto> {
    return UserDto.of(await this.verification.changeEmail(auth.user, body.email, client));
  }
}
