import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Patch, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiOperation,
} from '@nestjs/swagger';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { NoBody } from '../common/no-body.pipe';
import {
  ChangeRoleDto,
  CreateDocumentDto,
  CreateOrganizationDto,
  DocumentDto,
  MemberDto,
  MemberProfileDto,
  OrganizationDetailsDto,
  OrganizationDto,
  OrganizationPolicyDto,
  RenameOrganizationDto,
  SetOrganizationPolicyDto,
} from './organizations.dto';
import { OrganizationsService } from './organizations.service';
import {
  AllowApiKey,
  AllowUnverified,
  CurrentAuth,
  IdParam,
  OutsideOrgMfaRule,
  RequireStepUp,
  RequireVerifiedEmail,
} from '../http';
import type { AuthContext } from '../http';

@ApiTags('organizations')
@ApiNotFoundResponse({ description: '`not_found`: no such organization, or the caller is not a member' })
@AllowApiKey()
@Controller('orgs')
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Post()
  @ApiOperation({
    summary: 'Create an organization',
    description: 'Needs a verified email; the caller becomes its owner.',
  })
  @RequireVerifiedEmail()
  @ApiCreatedResponse({ type: OrganizationDto })
  async create(
    @CurrentAuth() auth: AuthContext,
    @Body() body: CreateOrganizationDto,
    @Client() client: ClientInfo,
  ): Promise<OrganizationDto> {
    return OrganizationDto.of(await this.organizations.create(auth.user, body.name, client));
  }

  @Get()
  @ApiOperation({
    summary: 'List my organizations',
    description: 'Every organization the caller is a member of, with the caller’s role.',
  })
  @AllowUnverified()
  @ApiOkResponse({ type: [OrganizationDto] })
  async list(@CurrentAuth() auth: AuthContext): Promise<OrganizationDto[]> {
    return (await this.organizations.list(auth.user.id)).map((organization) => OrganizationDto.of(organization));
  }

  @Get(':id')
  @ApiOperation({
    summary: 'Get an organization',
    description: 'Any member reads the organization, with their own role in it.',
  })
  @RequireVerifiedEmail()
  @ApiOkResponse({ type: OrganizationDetailsDto })
  async get(@CurrentAuth() auth: AuthContext, @IdParam('id') orgId: string): Promise<OrganizationDetailsDto> {
    return OrganizationDetailsDto.of(await this.organizations.get(auth.user.id, orgId));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename an organization', description: 'Owners only, after a recent step-up.' })
  @RequireVerifiedEmail()
  @RequireStepUp()
  @ApiOkResponse({ type: OrganizationDetailsDto })
  @ApiForbiddenResponse({ description: '`insufficient_role`: only an owner renames' })
  async rename(
    @CurrentAuth() auth: AuthContext,
    @IdParam('id') orgId: string,
    @Body() body: RenameOrganizationDto,
    @Client() client: ClientInfo,
  ): Promise<OrganizationDetailsDto> {
    return OrganizationDetailsDto.of(await this.organizations.rename(auth.user, orgId, body.name, client));
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Delete an organization',
    description:
      'Owners only, after a recent step-up: the memberships, invitations, documents and SAML provider go with it.',
  })
  @RequireVerifiedEmail()
  @RequireStepUp()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({
    description: 'The organization is deleted with its memberships, invitations, documents and SAML provider.',
  })
  @ApiForbiddenResponse({ description: '`insufficient_role`: only an owner deletes' })
  async delete(
    @NoBody() _: undefined,
    @CurrentAuth() auth: AuthContext,
    @IdParam('id') orgId: string,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.organizations.delete(auth.user, orgId, client);
  }

  @Get(':id/policy')
  @ApiOperation({
    summary: 'Get the security policy',
    description:
      'Any member reads whether the organization requires MFA. Outside the rule itself, so that a client refused ' +
      'with `mfa_enrollment_required` or `mfa_required` can read why.',
  })
  @RequireVerifiedEmail()
  @OutsideOrgMfaRule()
  @ApiOkResponse({ type: OrganizationPolicyDto })
  async getPolicy(@CurrentAuth() auth: AuthContext, @IdParam('id') orgId: string): Promise<OrganizationPolicyDto> {
    return OrganizationPolicyDto.of(await this.organizations.policy(auth.user.id, orgId));
  }

  @Patch(':id/policy')
  @ApiOperation({
    summary: 'Set the security policy',
    description:
      'Owners only, after a recent step-up; audited. `requireMfa: true` makes every /orgs/:id route answer members ' +
      'without a second factor `mfa_enrollment_required` and sessions that did not prove one `mfa_required`; the ' +
      'owner turning it on needs a second factor of their own. Outside the rule itself, so an owner can always ' +
      'turn it off (the step-up asks a second factor of an account that has one).',
  })
  @RequireVerifiedEmail()
  @RequireStepUp()
  @OutsideOrgMfaRule()
  @ApiOkResponse({ type: OrganizationPolicyDto })
  @ApiForbiddenResponse({ description: '`insufficient_role`: only an owner sets the policy' })
  @ApiConflictResponse({
    description: '`mfa_enrollment_required` (with `enrollUrls`): the owner has no second factor to turn MFA on with',
  })
  async setPolicy(
    @CurrentAuth() auth: AuthContext,
    @IdParam('id') orgId: string,
    @Body() body: SetOrganizationPolicyDto,
    @Client() client: ClientInfo,
  ): Promise<OrganizationPolicyDto> {
    return OrganizationPolicyDto.of(
      await this.organizations.setPolicy(auth.user, orgId, { requireMfa: body.requireMfa }, client),
    );
  }

  @Get(':id/members')
  @ApiOperation({
    summary: 'List members',
    description: 'Any member sees every member with their role, longest-standing first.',
  })
  @RequireVerifiedEmail()
  @ApiOkResponse({ type: [MemberProfileDto], description: 'Every member, longest-standing first' })
  async listMembers(@CurrentAuth() auth: AuthContext, @IdParam('id') orgId: string): Promise<MemberProfileDto[]> {
    return (await this.organizations.listMembers(auth.user.id, orgId)).map((m) => MemberProfileDto.of(m));
  }

  @Patch(':id/members/:userId')
  @ApiOperation({
    summary: 'Change a member’s role',
    description:
      'Only an owner grants or takes `owner`; the member’s sessions are rotated. An organization keeps at least one owner.',
  })
  @RequireVerifiedEmail()
  @ApiOkResponse({ type: MemberDto })
  @ApiForbiddenResponse({ description: '`insufficient_role`: only an owner grants or takes `owner`' })
  @ApiConflictResponse({ description: '`last_owner`' })
  async changeRole(
    @CurrentAuth() auth: AuthContext,
    @IdParam('id') orgId: string,
    @IdParam('userId') userId: string,
    @Body() body: ChangeRoleDto,
    @Client() client: ClientInfo,
  ): Promise<MemberDto> {
    return MemberDto.of(await this.organizations.changeRole(auth.user, orgId, userId, body.role, client));
  }

  @Delete(':id/members/:userId')
  @ApiOperation({
    summary: 'Remove a member',
    description: 'Owners and admins remove members, and anyone may leave; an organization keeps at least one owner.',
  })
  @RequireVerifiedEmail()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  @ApiConflictResponse({ description: '`last_owner`' })
  async removeMember(
    @NoBody() _: undefined,
    @CurrentAuth() auth: AuthContext,
    @IdParam('id') orgId: string,
    @IdParam('userId') userId: string,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.organizations.removeMember(auth.user, orgId, userId, client);
  }

  @Post(':id/documents')
  @ApiOperation({
    summary: 'Write a document',
    description: 'A document shared with the organization’s members.',
  })
  @RequireVerifiedEmail()
  @ApiCreatedResponse({ type: DocumentDto })
  async createDocument(
    @CurrentAuth() auth: AuthContext,
    @IdParam('id') orgId: string,
    @Body() body: CreateDocumentDto,
  ): Promise<DocumentDto> {
    return DocumentDto.of(await this.organizations.createDocument(auth.user, orgId, body.title, body.body));
  }

  @Get(':id/documents')
  @ApiOperation({
    summary: 'List the documents',
    description: 'The organization’s documents; a deleted author shows as "Deleted user".',
  })
  @RequireVerifiedEmail()
  @ApiOkResponse({ type: [DocumentDto] })
  async listDocuments(@CurrentAuth() auth: AuthContext, @IdParam('id') orgId: string): Promise<DocumentDto[]> {
    return (await this.organizations.listDocuments(auth.user.id, orgId)).map((document) => DocumentDto.of(document));
  }
}
