import { Controller, Delete, Get, Header, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiCookieAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { NoBody } from '../common/no-body.pipe';
import { AllowPendingDeletion, AllowUnverified, CurrentSession, NoStore, RequireStepUp } from '../http';
import type { SessionAuth } from '../http';
import { UserDto } from '../users/user.dto';
import { userView } from '../users/user.dto';
import { DeletionScheduledDto } from './deletion.dto';
import { DeletionService } from './deletion.service';

@ApiTags('me')
@ApiCookieAuth()
@AllowUnverified()
@AllowPendingDeletion()
@ApiForbiddenResponse({ description: '`api_key_not_allowed`: these routes need a signed-in session' })
@Controller('me')
export class DeletionController {
  constructor(private readonly deletion: DeletionService) {}

  @Delete()
  @RequireStepUp()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({
    type: DeletionScheduledDto,
    description:
      'The account is scheduled for deletion after DELETION_GRACE_PERIOD; every other session is signed out. Asking again answers the same date.',
  })
  async schedule(
    @NoBody() _: undefined,
    @CurrentSession() auth: SessionAuth,
    @Client() client: ClientInfo,
  ): Promise<DeletionScheduledDto> {
    return DeletionScheduledDto.of(await this.deletion.schedule(auth, client));
  }

  @Post('deletion/cancel')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: UserDto, description: 'The account, with `deletionScheduledFor: null`.' })
  @ApiConflictResponse({ description: '`deletion_not_scheduled`' })
  async cancel(
    @NoBody() _: undefined,
    @CurrentSession() auth: SessionAuth,
    @Client() client: ClientInfo,
  ): Promise<UserDto> {
    return UserDto.of(userView(await this.deletion.cancel(auth, client)));
  }

  @Get('export')
  @RequireStepUp()
  @Header('Content-Disposition', 'attachment; filename="account-export.json"')
  @NoStore()
  @ApiProduces('application/json')
  @ApiOkResponse({
    description:
      'Everything stored about the user, module by module: profile, sessions, known addresses, API keys (never a key), two-factor status (never a secret or code), organizations, documents, audit events.',
  })
  export(@NoBody() _: undefined, @CurrentSession() auth: SessionAuth): Promise<Record<string, unknown>> {
    return this.deletion.export(auth.user.id);
  }
}
