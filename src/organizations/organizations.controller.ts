import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Patch, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
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
  RenameOrganizationDto,
} from './organizations.dto';
import { OrganizationsService } from './organizations.service';
import { AllowApiKey, AllowUnverified, CurrentAuth, IdParam, RequireStepUp, RequireVerifiedEmail } from '../http';
import type { AuthContext } from '../http';

@ApiTags('organizations')
@ApiCookieAuth()
@ApiNotFoundResponse({ description: '`not_found`: no such organization, or the caller is not a member' })
@AllowApiKey()
@Controller('orgs')
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Post()
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
  @AllowUnverified()
  @ApiOkResponse({ type: [OrganizationDto] })
  async list(@CurrentAuth() auth: AuthContext): Promise<OrganizationDto[]> {
    return (await this.organizations.list(auth.user.id)).map((organization) => OrganizationDto.of(organization));
  }

  @Get(':id')
  @RequireVerifiedEmail()
  @ApiOkResponse({ type: OrganizationDetailsDto })
  async get(@CurrentAuth() auth: AuthContext, @IdParam('id') orgId: string): Promise<OrganizationDetailsDto> {
    return OrganizationDetailsDto.of(await this.organizations.get(auth.user.id, orgId));
  }

  @Patch(':id')
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

  @Get(':id/members')
  @RequireVerifiedEmail()
  @ApiOkResponse({ type: [MemberProfileDto], description: 'Every member, longest-standing first' })
  async listMembers(@CurrentAuth() auth: AuthContext, @IdParam('id') orgId: string): Promise<MemberProfileDto[]> {
    return (await this.organizations.listMembers(auth.user.id, orgId)).map((m) => MemberProfileDto.of(m));
  }

  @Patch(':id/members/:userId')
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
  @RequireVerifiedEmail()
  @ApiOkResponse({ type: [DocumentDto] })
  async listDocuments(@CurrentAuth() auth: AuthContext, @IdParam('id') orgId: string): Promise<DocumentDto[]> {
    return (await this.organizations.listDocuments(auth.user.id, orgId)).map((document) => DocumentDto.of(document));
  }
}
