import { Body, Controller, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import {
  ApiCookieAuth,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import type { Response } from 'express';
import { SessionDto } from '../sessions/sessions.dto';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { AppConfig } from '../config';
import { StepUpService } from './step-up.service';
import { AllowPendingDeletion, AllowUnverified, CurrentSession, sendRotatedToken } from '../http';
import type { SessionAuth } from '../http';

export class ConfirmDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional({ description: 'authenticator code, or a recovery code' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  totpCode?: string;
}

export class ConfirmationDto {
  @ApiProperty({ format: 'date-time' }) reauthenticatedAt: string;
  @ApiProperty({ format: 'date-time' }) stepUpExpiresAt: string;
  @ApiProperty({ type: SessionDto, description: 'the rotated session: the old token no longer works' })
  session: SessionDto;
}

@ApiTags('auth')
@ApiCookieAuth()
@Controller('auth')
export class StepUpController {
  constructor(
    private readonly stepUp: StepUpService,
    private readonly config: AppConfig,
  ) {}

  @Post('confirm')
  @AllowUnverified()
  // The export needs a fresh confirmation during the grace period too.
  @AllowPendingDeletion()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: ConfirmationDto, description: 'The new token is also in Set-Cookie and X-Session-Token.' })
  @ApiUnauthorizedResponse({ description: '`invalid_credentials` or `invalid_totp`' })
  @ApiTooManyRequestsResponse({ description: '10 failed confirmations per user per 15 minutes' })
  async confirm(
    @CurrentSession() auth: SessionAuth,
    @Body() body: ConfirmDto,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ConfirmationDto> {
    const { reauthenticatedAt, stepUpExpiresAt, session } = await this.stepUp.confirm(auth, body, client);
    sendRotatedToken(res, this.config, session.token, session.expiresAt);
    return {
      reauthenticatedAt: reauthenticatedAt.toISOString(),
      stepUpExpiresAt: stepUpExpiresAt.toISOString(),
      session: SessionDto.of(session),
    };
  }
}
