import { Body, Controller, Delete, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { NoBody } from '../common/no-body.pipe';
import { AppConfig } from '../config';
import { SessionDto } from '../sessions/sessions.dto';
import { ChangePasswordDto, RotatedSessionDto } from './auth.dto';
import { PasswordFlowsService } from './password-flows.service';
import { AllowUnverified, CurrentSession, RequireStepUp, sendRotatedToken } from '../http';
import type { SessionAuth } from '../http';

@ApiTags('me')
@Controller('me/password')
export class PasswordController {
  constructor(
    private readonly passwords: PasswordFlowsService,
    private readonly config: AppConfig,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Change the password',
    description:
      'Needs a recent step-up. The current session is rotated (new token in the body, Set-Cookie and X-Session-Token); every other session is revoked.',
  })
  @AllowUnverified()
  @RequireStepUp()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({
    type: RotatedSessionDto,
    description:
      'The new token is also in Set-Cookie and X-Session-Token; every other session is signed out, and with `revokeApiKeys: true` every API key revoked.',
  })
  @ApiBadRequestResponse({ description: '`weak_password`' })
  @ApiForbiddenResponse({
    description:
      '`sso_required` (with `loginUrl`): the address is of an SSO-enforced domain and the account is no owner of its organization',
  })
  @ApiConflictResponse({
    description: '`session_rotated`: a concurrent request with the same token replaced it first; nothing changed',
  })
  async change(
    @CurrentSession() auth: SessionAuth,
    @Body() body: ChangePasswordDto,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<RotatedSessionDto> {
    const session = await this.passwords.changePassword(auth, body.newPassword, client, {
      revokeApiKeys: body.revokeApiKeys,
    });
    sendRotatedToken(res, this.config, session.token, session.expiresAt);
    return { session: SessionDto.of(session) };
  }

  @Delete()
  @ApiOperation({
    summary: 'Remove the password',
    description:
      'Needs a recent step-up and at least one passkey. The account becomes passwordless: it signs in with its passkeys (or a mailed link); a password login answers `invalid_credentials` as for a wrong one, and forgot-password mails nothing. POST /me/password sets one again.',
  })
  @AllowUnverified()
  @RequireStepUp()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'The account has no password any more.' })
  @ApiConflictResponse({ description: '`passkey_required`: the account has no passkey to sign in with' })
  async remove(
    @NoBody() _: undefined,
    @CurrentSession() auth: SessionAuth,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.passwords.removePassword(auth, client);
  }
}
