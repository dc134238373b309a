import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post, Query, Req, UseInterceptors } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { NoBody } from '../common/no-body.pipe';
import { AdminRoute, CurrentAdmin, IdParam } from '../http';
import type { AdminAuth, AuthenticatedRequest } from '../http';
import { RevokedCountDto, SessionListingDto } from '../sessions/sessions.dto';
import { markTargetErased } from './admin-audit.interceptor';
import {
  AdminDeletionDto,
  AdminUserDetailsDto,
  AdminUserDto,
  AdminUserListItemDto,
  AdminUserPageDto,
  DeleteUserDto,
  ListUsersQuery,
  LockUserDto,
} from './admin-users.dto';
import { AdminUsersService } from './admin-users.service';
import { AdminAuditInterceptor } from './admin-audit.interceptor';

@ApiTags('admin')
@Controller('admin/users')
@UseInterceptors(AdminAuditInterceptor)
export class AdminUsersController {
  constructor(private readonly adminUsers: AdminUsersService) {}

  @Get()
  @AdminRoute('users:read')
  @ApiOperation({
    summary: 'Find accounts',
    description:
      'Newest accounts first, `limit` (at most 100, default 50) a page; `q` matches an address prefix or an ' +
      'exact id. Pages are keyset-paged: accounts made while paging neither shift nor repeat what follows. ' +
      '`lastSignInAt` is the latest sign-in or signup.',
  })
  @ApiOkResponse({ type: AdminUserPageDto })
  async list(@Query() query: ListUsersQuery): Promise<AdminUserPageDto> {
    const page = await this.adminUsers.list(query);
    return {
      data: page.data.map(({ user, lastSignInAt }) => AdminUserListItemDto.ofListed(user, lastSignInAt)),
      nextCursor: page.nextCursor,
    };
  }

  @Get(':id')
  @AdminRoute('users:read')
  @ApiOperation({
    summary: 'Look at an account',
    description:
      'The account with its live sessions, organizations and roles, factors (TOTP, passkey count) and SSO identities.',
  })
  @ApiOkResponse({ type: AdminUserDetailsDto })
  async get(@IdParam('id') id: string): Promise<AdminUserDetailsDto> {
    const details = await this.adminUsers.details(id);
    return {
      ...AdminUserListItemDto.ofListed(details.user, details.lastSignInAt),
      lockReason: details.user.lockReason,
      sessions: details.sessions.map((session) => SessionListingDto.of(session)),
      organizations: details.organizations.map(({ id: orgId, name, role }) => ({ id: orgId, name, role })),
      factors: { totp: details.user.twoFactorEnabled, passkeys: details.passkeys },
      ssoIdentities: details.ssoIdentities.map((identity) => ({
        providerId: identity.providerId,
        domain: identity.domain,
        nameId: identity.nameId,
        createdAt: identity.createdAt.toISOString(),
        lastLoginAt: identity.lastLoginAt.toISOString(),
      })),
    };
  }

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

  @Post(':id/deletion')
  @AdminRoute('users:write')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Delete an account',
    description:
      'As DELETE /me: the deletion is scheduled after the grace period (202; every session ends, the user is ' +
      'mailed and may cancel). With `immediate: true` the account is erased now through the deletion ' +
      'pipeline, as the purge does when a grace period ends (202 too; `deleted: true` says it is done).',
  })
  @ApiAcceptedResponse({
    type: AdminDeletionDto,
    description: 'scheduled (`deleted: false`), or erased now with `immediate: true` (`deleted: true`)',
  })
  async delete(
    @CurrentAdmin() admin: AdminAuth,
    @IdParam('id') id: string,
    @Body() body: DeleteUserDto,
    @Client() client: ClientInfo,
    @Req() request: AuthenticatedRequest,
  ): Promise<AdminDeletionDto> {
    const at = await this.adminUsers.delete(admin, id, body.immediate === true, client);
    if (at) return { deletionScheduledFor: at.toISOString(), deleted: false };
    markTargetErased(request);
    return { deletionScheduledFor: null, deleted: true };
  }
}
