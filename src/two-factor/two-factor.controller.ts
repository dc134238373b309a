import { Body, Controller, Delete, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCookieAuth,
  ApiOkResponse,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { NoBody } from '../common/no-body.pipe';
import { TwoFactorService } from './two-factor.service';
import { AllowUnverified, CurrentSession, RequireStepUp, RequireVerifiedEmail } from '../http';
import type { SessionAuth } from '../http';

export class TotpSetupDto {
  @ApiProperty({ description: 'base32, no spaces' }) secret: string;
  @ApiProperty({ example: 'otpauth://totp/Auth:ada%40example.com?secret=…&issuer=Auth' }) otpauthUrl: string;
}

export class EnableTotpDto {
  @ApiProperty({ example: '123456' })
  @IsString()
  @MaxLength(16)
  code: string;
}

export class RecoveryCodesDto {
  @ApiProperty({ type: [String], description: 'ten single-use codes, shown once' }) recoveryCodes: string[];
}

@ApiTags('two-factor')
@ApiCookieAuth()
@Controller('me/2fa')
export class TwoFactorController {
  constructor(private readonly twoFactor: TwoFactorService) {}

  @Post('totp/setup')
  @HttpCode(HttpStatus.OK)
  @RequireVerifiedEmail()
  @RequireStepUp()
  @ApiOkResponse({ type: TotpSetupDto })
  @ApiConflictResponse({ description: '`totp_already_enabled`' })
  setup(@NoBody() _: undefined, @CurrentSession() auth: SessionAuth): Promise<TotpSetupDto> {
    return this.twoFactor.setup(auth.user);
  }

  @Post('totp/enable')
  @HttpCode(HttpStatus.OK)
  @RequireVerifiedEmail()
  @RequireStepUp()
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiBadRequestResponse({ description: '`invalid_totp` for a wrong code; `totp_setup_required` before setup' })
  async enable(
    @CurrentSession() auth: SessionAuth,
    @Body() body: EnableTotpDto,
    @Client() client: ClientInfo,
  ): Promise<RecoveryCodesDto> {
    return { recoveryCodes: await this.twoFactor.enable(auth.user, body.code, client) };
  }

  @Post('recovery-codes')
  @AllowUnverified()
  @HttpCode(HttpStatus.OK)
  @RequireStepUp()
  @ApiOkResponse({ type: RecoveryCodesDto, description: 'A new set; the old codes no longer work.' })
  @ApiConflictResponse({ description: '`totp_not_enabled`' })
  async regenerate(
    @NoBody() _: undefined,
    @CurrentSession() auth: SessionAuth,
    @Client() client: ClientInfo,
  ): Promise<RecoveryCodesDto> {
    return { recoveryCodes: await this.twoFactor.regenerateRecoveryCodes(auth.user, client) };
  }

  @Delete('totp')
  @AllowUnverified()
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequireStepUp()
  async disable(
    @NoBody() _: undefined,
    @CurrentSession() auth: SessionAuth,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.twoFactor.disable(auth.user, client);
  }
}
