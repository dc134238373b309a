import { Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { NoBody } from '../common/no-body.pipe';
import { AllowPendingDeletion, AllowUnverified, NoStore, OptionalSession, ToleratesDeadSession } from '../http';
import type { SessionAuth } from '../http';
import { RateLimitByIp } from '../rate-limit/rate-limit.guard';
import { PasskeyOptionsDto } from './passkeys.dto';
import { PasskeysService } from './passkeys.service';

@ApiTags('passkeys')
@Controller('auth/passkey')
export class PasskeyOptionsController {
  constructor(private readonly passkeys: PasskeysService) {}

  @Post('options')
  @ApiOperation({
    summary: 'Start a passkey sign-in or step-up',
    description:
      'Public. Without a session: request options for a discoverable sign-in (empty `allowCredentials`), answered at POST /auth/passkey/login. With a live session: a step-up of that session, `allowCredentials` its user’s passkeys, answered at POST /auth/confirm as `{passkey: {challengeId, response}}`. The challenge is single use and lasts 5 minutes.',
  })
  // Open to anyone; a session, when one comes, only says whose passkeys to offer.
  @ToleratesDeadSession()
  @AllowUnverified()
  @AllowPendingDeletion()
  @RateLimitByIp('passkeyOptionsPerIp')
  @HttpCode(HttpStatus.OK)
  @NoStore()
  @ApiOkResponse({ type: PasskeyOptionsDto })
  async options(@NoBody() _: undefined, @OptionalSession() auth: SessionAuth | undefined): Promise<PasskeyOptionsDto> {
    return PasskeyOptionsDto.of(await this.passkeys.authenticationOptions(auth));
  }
}
