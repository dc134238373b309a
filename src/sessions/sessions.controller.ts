import { Controller, Delete, Get, HttpCode, HttpStatus, Res, UseGuards } from '@nestjs/common';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { NoBody } from '../common/no-body.pipe';
import { AppConfig } from '../config';
import { SessionOwnerGuard } from './session-owner.guard';
import { RevokedCountDto, SessionListingDto } from './sessions.dto';
import { SessionsService } from './sessions.service';
import {
  AllowPendingDeletion,
  AllowUnverified,
  CurrentSession,
  IdParam,
  clearSessionCookie,
  clearSiteCookies,
} from '../http';
import type { SessionAuth } from '../http';

@ApiTags('sessions')
@AllowUnverified()
@AllowPendingDeletion()
@Controller('me/sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'List my sessions',
    description: 'Live sessions only, most recently active first; `current` marks the one asking.',
  })
  @ApiOkResponse({ type: [SessionListingDto], description: 'Live sessions, most recently active first.' })
  async list(@CurrentSession() auth: SessionAuth): Promise<SessionListingDto[]> {
    return (await this.sessions.list(auth.user.id, auth.session.id)).map((s) => SessionListingDto.of(s));
  }

  /** Revoking the current session is a logout. */
  @Delete(':id')
  @ApiOperation({
    summary: 'Sign a session out',
    description:
      'Revokes one of the caller’s sessions (404 for any other); revoking the current one is a logout and clears the cookie.',
  })
  @UseGuards(SessionOwnerGuard)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'no such live session among the caller’s' })
  async revoke(
    @NoBody() _: undefined,
    @CurrentSession() auth: SessionAuth,
    @IdParam('id') id: string,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<void> {
    await this.sessions.revokeByUser(auth.user, id, client);
    if (id === auth.session.id) {
      clearSessionCookie(res, this.config);
      clearSiteCookies(res);
    }
  }

  @Delete()
  @ApiOperation({
    summary: 'Sign out everywhere else',
    description: 'Revokes every session of the user but the current one and says how many.',
  })
  @ApiOkResponse({ type: RevokedCountDto, description: 'Every session but this one is signed out.' })
  async revokeOthers(
    @NoBody() _: undefined,
    @CurrentSession() auth: SessionAuth,
    @Client() client: ClientInfo,
  ): Promise<RevokedCountDto> {
    return RevokedCountDto.of(await this.sessions.revokeOthersByUser(auth.user, auth.session.id, client));
  }
}
