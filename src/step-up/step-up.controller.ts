import { Body, Controller, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import {
  ApiConflictResponse,
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
import { RateLimited } from '../rate-limit/rate-limit.guard';
import { ConfirmationDto, ConfirmDto } from './step-up.dto';
import { StepUpService } from './step-up.service';
import { AllowPendingDeletion, AllowUnverified, CurrentSession, sendRotatedToken } from '../http';
import type { SessionAuth } from '../http';

@ApiTags('auth')
@Controller('auth')
export class StepUpController {
  constructor(
    private readonly stepUp: StepUpService,
    private readonly config: AppConfig,
  ) {}

  @Post('confirm')
  @ApiOperation({
    summary: 'Confirm identity (step-up)',
    description:
      'Re-authenticates the current session with the password or an authenticator/recovery code. Routes that need a step-up accept it for STEP_UP_WINDOW; the session’s token is rotated.',
  })
  @AllowUnverified()
  // The export needs a fresh confirmation during the grace period too.
  @AllowPendingDeletion()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: ConfirmationDto, description: 'The new token is also in Set-Cookie and X-Session-Token.' })
  @ApiUnauthorizedResponse({
    description:
      '`invalid_credentials` or `invalid_totp`; `totp_required` when two-factor is on and only the password came (send the code, alone or with it)',
  })
  @ApiConflictResponse({
    description:
      '`session_rotated`: a concurrent request with the same token replaced it first; retry with the current token',
  })
  @ApiForbiddenResponse({
    description:
      "`sso_required` (with `loginUrl`): a password of an SSO-enforced domain's address, but of an owner of its organization, confirms nothing",
  })
  @RateLimited('confirmFailuresPerUser')
  async confirm(
    @CurrentSession() auth: SessionAuth,
    @Body() body: ConfirmDto,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<ConfirmationDto> {
    const confirmation = await this.stepUp.confirm(auth, body, client);
    sendRotatedToken(res, this.config, confirmation.session.token, confirmation.session.expiresAt);
    return ConfirmationDto.of(confirmation);
  }
}
