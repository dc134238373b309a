import { Body, Controller, Delete, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { NoBody } from '../common/no-body.pipe';
import { EnableTotpDto, RecoveryCodesDto, TotpSetupDto } from './two-factor.dto';
import { TwoFactorService } from './two-factor.service';
import { AllowUnverified, CurrentSession, NoStore, RequireStepUp, RequireVerifiedEmail } from '../http';
import type { SessionAuth } from '../http';

@ApiTags('two-factor')
@Controller('me/2fa')
export class TwoFactorController {
  constructor(private readonly twoFactor: TwoFactorService) {}

  @Post('totp/setup')
  @ApiOperation({
    summary: 'Start TOTP setup',
    description:
      'Needs a verified email and a recent step-up. Answers a new base32 secret and its otpauth URL for an authenticator app; enable it with a code next.',
  })
  @HttpCode(HttpStatus.OK)
  @RequireVerifiedEmail()
  @RequireStepUp()
  @NoStore()
  @ApiOkResponse({ type: TotpSetupDto })
  @ApiConflictResponse({ description: '`totp_already_enabled`' })
  async setup(@NoBody() _: undefined, @CurrentSession() auth: SessionAuth): Promise<TotpSetupDto> {
    return TotpSetupDto.of(await this.twoFactor.setup(auth.user));
  }

  @Post('totp/enable')
  @ApiOperation({
    summary: 'Turn TOTP on',
    description: 'With a current code from the authenticator app; answers ten single-use recovery codes, shown once.',
  })
  @HttpCode(HttpStatus.OK)
  @RequireVerifiedEmail()
  @RequireStepUp()
  @NoStore()
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiBadRequestResponse({ description: '`invalid_totp` for a wrong code; `totp_setup_required` before setup' })
  async enable(
    @CurrentSession() auth: SessionAuth,
    @Body() body: EnableTotpDto,
    @Client() client: ClientInfo,
  ): Promise<RecoveryCodesDto> {
    return RecoveryCodesDto.of(await this.twoFactor.enable(auth.user, body.code, client));
  }

  @Post('recovery-codes')
  @ApiOperation({
    summary: 'Replace the recovery codes',
    description: 'Needs a recent step-up; the old codes stop working.',
  })
  @AllowUnverified()
  @HttpCode(HttpStatus.OK)
  @RequireStepUp()
  @NoStore()
  @ApiOkResponse({ type: RecoveryCodesDto, description: 'A new set; the old codes no longer work.' })
  @ApiConflictResponse({ description: '`totp_not_enabled`' })
  async regenerate(
    @NoBody() _: undefined,
    @CurrentSession() auth: SessionAuth,
    @Client() client: ClientInfo,
  ): Promise<RecoveryCodesDto> {
    return RecoveryCodesDto.of(await this.twoFactor.regenerateRecoveryCodes(auth.user, client));
  }

  @Delete('totp')
  @ApiOperation({
    summary: 'Turn TOTP off',
    description: 'Needs a recent step-up; the secret and recovery codes are deleted and a mail is sent.',
  })
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
