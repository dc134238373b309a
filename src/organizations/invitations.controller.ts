import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { NoBody } from '../common/no-body.pipe';
import { AllowApiKey, CurrentAuth, IdParam, RequireVerifiedEmail } from '../http';
import type { AuthContext } from '../http';
import { InvitationsService } from './invitations.service';
import {
  AcceptedInvitationDto,
  AcceptInvitationDto,
  InvitationDto,
  InviteDto,
  PendingInvitationDto,
} from './organizations.dto';

import { RateLimited } from '../rate-limit/rate-limit.guard';
/** An organization's invitations, for its owners and admins. */
@ApiTags('organizations')
@ApiNotFoundResponse({
  description: '`not_found`: no such organization (or invitation), or the caller is not a member',
})
@ApiForbiddenResponse({
  description: '`insufficient_role`: owners and admins manage invitations; only owners invite owners',
})
@RequireVerifiedEmail()
@AllowApiKey()
@Controller('orgs/:id/invitations')
export class OrgInvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @Post()
  @ApiOperation({
    summary: 'Invite someone',
    description:
      'Owners and admins invite an address (only owners invite owners); the person joins by accepting the mailed link with a session whose verified address is that one.',
  })
  @RateLimited('invitationsPerInviter', 'invitationsPerAddress', 'invitationMailsPerAddress', 'invitationsPerOrg')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({
    type: InvitationDto,
    description:
      'The same answer whether or not the address has an account; a single-use link (7 days) is mailed to it. Inviting a pending address again replaces its link.',
  })
  @ApiConflictResponse({ description: '`already_member`: a member has this address' })
  async invite(
    @CurrentAuth() auth: AuthContext,
    @IdParam('id') orgId: string,
    @Body() body: InviteDto,
    @Client() client: ClientInfo,
  ): Promise<InvitationDto> {
    return InvitationDto.of(await this.invitations.invite(auth.user, orgId, body.email, body.role, client));
  }

  @Get()
  @ApiOperation({
    summary: 'List pending invitations',
    description: 'Owners and admins see the invitations not yet accepted, revoked or expired.',
  })
  @ApiOkResponse({ type: [PendingInvitationDto], description: 'Invitations not yet accepted, revoked or expired' })
  async list(@CurrentAuth() auth: AuthContext, @IdParam('id') orgId: string): Promise<PendingInvitationDto[]> {
    return (await this.invitations.listPending(auth.user, orgId)).map((i) => PendingInvitationDto.of(i));
  }

  @Delete(':invitationId')
  @ApiOperation({
    summary: 'Revoke an invitation',
    description: 'Owners and admins revoke a pending invitation (only owners an invitation to become owner).',
  })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'The link stops working.' })
  async revoke(
    @NoBody() _: undefined,
    @CurrentAuth() auth: AuthContext,
    @IdParam('id') orgId: string,
    @IdParam('invitationId') invitationId: string,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.invitations.revoke(auth.user, orgId, invitationId, client);
  }
}

/** Taking an invitation: a signed-in session whose verified address is the one invited. */
@ApiTags('organizations')
@Controller('invitations')
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @Post('accept')
  @ApiOperation({
    summary: 'Accept an invitation',
    description:
      'Joins the organization with the invited role; the session’s verified address must be the invited one.',
  })
  @HttpCode(HttpStatus.OK)
  @RequireVerifiedEmail()
  @ApiOkResponse({ type: AcceptedInvitationDto, description: 'The caller is now a member with the invited role.' })
  @ApiBadRequestResponse({ description: '`invalid_token`: unknown, expired, revoked, replaced or already used' })
  @ApiForbiddenResponse({
    description: '`invitation_email_mismatch`: the invitation was sent to an address other than the caller’s',
  })
  @ApiConflictResponse({ description: '`already_member`' })
  async accept(
    @CurrentAuth() auth: AuthContext,
    @Body() body: AcceptInvitationDto,
    @Client() client: ClientInfo,
  ): Promise<AcceptedInvitationDto> {
    return AcceptedInvitationDto.of(await this.invitations.accept(auth.user, body.token, client));
  }
}
