import { Controller, Delete, Get, Header, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiProduces,
  ApiTags,
  ApiOperation,
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
@AllowUnverified()
@AllowPendingDeletion()
@ApiForbiddenResponse({ description: '`api_key_not_allowed`: these routes need a signed-in session' })
@Controller('me')
export class DeletionController {
  constructor(private readonly deletion: DeletionService) {}

  @Delete()
  @ApiOperation({
    summary: 'Schedule the account’s deletion',
    description:
      'Needs a recent step-up. The account is deleted after DELETION_GRACE_PERIOD unless cancelled; every other session is signed out and a mail is sent.',
  })
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
  @ApiOperation({
    summary: 'Cancel the scheduled deletion',
    description: 'Open during the grace period without step-up; the account is back to normal.',
  })
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
  @ApiOperation({
    summary: 'Export my data',
    description: 'Needs a recent step-up. Everything stored about the user, as a JSON download; never a secret.',
  })
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
