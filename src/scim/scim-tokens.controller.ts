import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
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
import { CurrentSession, IdParam, NoStore, RequireStepUp, RequireVerifiedEmail } from '../http';
import type { SessionAuth } from '../http';
import { CreatedScimTokenDto, CreateScimTokenDto, ScimTokenDto } from './scim.dto';
import { ScimTokensService } from './scim-tokens.service';

@ApiTags('scim')
@ApiNotFoundResponse({ description: '`not_found`: no such organization (or not a member), or no such token' })
@ApiForbiddenResponse({ description: '`insufficient_role`: owners only' })
@RequireVerifiedEmail()
@Controller('orgs/:id/scim/tokens')
export class ScimTokensController {
  constructor(private readonly tokens: ScimTokensService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a SCIM token',
    description:
      'Owners, with a recent step-up. The organization needs its SSO connection with a verified domain. The token (`scim_…`) is in this answer only; the IdP sends it as `Authorization: Bearer` to `${APP_URL}/scim/v2`.',
  })
  @RequireStepUp()
  @NoStore()
  @ApiCreatedResponse({ type: CreatedScimTokenDto })
  @ApiBadRequestResponse({
    description: '`domain_not_verified`: the organization has no SSO connection with a verified domain',
  })
  async create(
    @CurrentSession() auth: SessionAuth,
    @IdParam('id') orgId: string,
    @Body() body: CreateScimTokenDto,
    @Client() client: ClientInfo,
  ): Promise<CreatedScimTokenDto> {
    return CreatedScimTokenDto.of(await this.tokens.create(auth.user, orgId, body.name, client));
  }

  @Get()
  @ApiOperation({
    summary: 'List the SCIM tokens',
    description: 'Owners: name, creation and last use of each token; never the token itself.',
  })
  @ApiOkResponse({ type: [ScimTokenDto] })
  async list(@CurrentSession() auth: SessionAuth, @IdParam('id') orgId: string): Promise<ScimTokenDto[]> {
    return (await this.tokens.list(auth.user, orgId)).map((token) => ScimTokenDto.of(token));
  }

  @Delete(':tokenId')
  @ApiOperation({
    summary: 'Revoke a SCIM token',
    description: 'Owners, with a recent step-up. The token answers 401 from now on.',
  })
  @RequireStepUp()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  async revoke(
    @NoBody() _: undefined,
    @CurrentSession() auth: SessionAuth,
    @IdParam('id') orgId: string,
    @IdParam('tokenId') tokenId: string,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.tokens.revoke(auth.user, orgId, tokenId, client);
  }
}
