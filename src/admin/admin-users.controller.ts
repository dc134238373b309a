import { Body, Controller, Delete, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { NoBody } from '../common/no-body.pipe';
import { AdminRoute, CurrentAdmin, IdParam } from '../http';
import type { AdminAuth } from '../http';
import { RevokedCountDto } from '../sessions/sessions.dto';
import { AdminUserDto, LockUserDto } from './admin-users.dto';
import { AdminUsersService } from './admin-users.service';

@ApiTags('admin')
@Controller('admin/users')
export class AdminUsersController {
  constructor(private readonly adminUsers: AdminUsersService) {}

  @Post(':id/lock')
  @AdminRoute('users:write')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Lock an account',
    description:
      'Ends every session and API key of the account at once; every sign-in method then answers 403 ' +
      '`account_locked` until it is unlocked. Locking a locked account keeps its first reason.',
  })
  @ApiOkResponse({ type: AdminUserDto })
  async lock(
    @CurrentAdmin() admin: AdminAuth,
    @IdParam('id') id: string,
    @Body() body: LockUserDto,
    @Client() client: ClientInfo,
  ): Promise<AdminUserDto> {
    return AdminUserDto.ofRecord(await this.adminUsers.lock(admin, id, body.reason, client));
  }

  @Post(':id/unlock')
  @AdminRoute('users:write')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Unlock an account',
    description: 'Sign-ins work again; the sessions and keys the lock ended stay ended.',
  })
  @ApiOkResponse({ type: AdminUserDto })
  async unlock(
    @CurrentAdmin() admin: AdminAuth,
    @IdParam('id') id: string,
    @NoBody() _: undefined,
    @Client() client: ClientInfo,
  ): Promise<AdminUserDto> {
    return AdminUserDto.ofRecord(await this.adminUsers.unlock(admin, id, client));
  }

  @Delete(':id/sessions')
  @AdminRoute('users:write')
  @ApiOperation({
    summary: 'Sign an account out everywhere',
    description: 'Revokes every live session of the account (its API keys stay); answers how many.',
  })
  @ApiOkResponse({ type: RevokedCountDto })
  async revokeSessions(
    @CurrentAdmin() admin: AdminAuth,
    @IdParam('id') id: string,
    @Client() client: ClientInfo,
  ): Promise<RevokedCountDto> {
    return RevokedCountDto.of(await this.adminUsers.revokeSessions(admin, id, client));
  }
}
