import {
  applyDecorators,
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  HttpStatus,
  Patch,
  Post,
  Put,
  Query,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiUnauthorizedResponse,
  ApiConsumes,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
  ApiCreatedResponse,
  ApiProduces,
} from '@nestjs/swagger';
import { BODY_TYPES, ERROR_BODY, SCIM_JSON_TYPE } from '../common/body-parsers';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { NoBody } from '../common/no-body.pipe';
import { IdParam, Public } from '../http';
import { Directory, ScimRouteMark } from './scim-caller';
import type { ScimCaller } from './scim-caller';
import { scimErrorBody, ScimErrorFilter } from './scim-error.filter';
import { ScimGroupsService } from './scim-groups.service';
import { resourceTypes, schemas, serviceProviderConfig } from './scim-discovery';
import { SCIM_MEDIA_TYPE } from './scim-resources';
import { ScimTokenGuard } from './scim-token.guard';
import { ScimUsersService } from './scim-users.service';
import { ScimGroupBodyDto, ScimPatchDto, ScimUserBodyDto } from './scim.dto';
import { AppConfig } from '../config';

type Json = Record<string, unknown>;

/** RFC 7644 §3.3: a created resource's URI in the Location header, as in its meta.location. */
function located(reply: FastifyReply, resource: Json): Json {
  void reply.header('Location', (resource.meta as { location: string }).location);
  return resource;
}

const SCIM_AUTH =
  ' Authenticated by the organization’s SCIM token (`Authorization: Bearer scim_…`); every error answers the SCIM error body `{schemas, status, scimType?, detail}`.';

/**
 * Every SCIM route: takes application/scim+json as well as JSON, answers application/scim+json, and
 * answers what fails before its handler (the body) with the SCIM error body too.
 */
const ScimRoute = () =>
  applyDecorators(
    RouteConfig({ [BODY_TYPES]: [SCIM_JSON_TYPE], [ERROR_BODY]: scimErrorBody }),
    Header('Content-Type', SCIM_MEDIA_TYPE),
  );

const listQueries = [
  ApiQuery({ name: 'filter', required: false, type: String }),
  ApiQuery({ name: 'startIndex', required: false, type: Number }),
  ApiQuery({ name: 'count', required: false, type: Number }),
];

/**
 * SCIM 2.0 (RFC 7643/7644) for an organization's identity provider. @Public() for the session
 * guard: the ScimTokenGuard authenticates, and the token's organization is the only one reachable.
 */
@ApiTags('scim')
@ApiProduces(SCIM_MEDIA_TYPE)
@ApiUnauthorizedResponse({ description: 'a missing, unknown or revoked SCIM token' })
@ApiForbiddenResponse({ description: 'the organization has no SSO connection with a verified domain (any more)' })
@ApiBadRequestResponse({
  description:
    '`scimType`: `invalidFilter`, `invalidSyntax`, `invalidValue`, `invalidPath`, `noTarget` or `mutability`',
})
@ApiNotFoundResponse({ description: 'no such resource in this organization’s directory' })
@ApiConflictResponse({ description: '`scimType: uniqueness`; or a change that would remove or demote the last owner' })
@ScimRouteMark()
@Public()
@UseGuards(ScimTokenGuard)
@UseFilters(ScimErrorFilter)
@Controller('scim/v2')
export class ScimController {
  constructor(
    private readonly users: ScimUsersService,
    private readonly groups: ScimGroupsService,
    private readonly config: AppConfig,
  ) {}

  @Get('ServiceProviderConfig')
  @ScimRoute()
  @ApiOperation({
    summary: 'SCIM: service provider configuration',
    description: 'PATCH and filter supported (maxResults 200); bulk, sort, etag and changePassword not.' + SCIM_AUTH,
  })
  @ApiOkResponse({ description: 'The ServiceProviderConfig resource.' })
  serviceProviderConfig(@NoBody() _: undefined): Json {
    return serviceProviderConfig(this.config.appUrl);
  }

  @Get('ResourceTypes')
  @ScimRoute()
  @ApiOperation({ summary: 'SCIM: resource types', description: 'User and Group, as a ListResponse.' + SCIM_AUTH })
  @ApiOkResponse({ description: 'A ListResponse of ResourceType resources.' })
  resourceTypes(@NoBody() _: undefined): Json {
    return resourceTypes(this.config.appUrl);
  }

  @Get('Schemas')
  @ScimRoute()
  @ApiOperation({
    summary: 'SCIM: schemas',
    description: 'The User and Group attributes this service keeps, as a ListResponse.' + SCIM_AUTH,
  })
  @ApiOkResponse({ description: 'A ListResponse of Schema resources.' })
  schemas(@NoBody() _: undefined): Json {
    return schemas(this.config.appUrl);
  }

  @Post('Users')
  @ScimRoute()
  @ApiConsumes(SCIM_MEDIA_TYPE, 'application/json')
  @ApiOperation({
    summary: 'SCIM: provision a user',
    description:
      'Makes the account of `userName` (an address of the verified domain) a member with the connection’s `defaultRole`: a new account is verified and has no password; an existing one is linked. 409 `uniqueness` when already provisioned.' +
      SCIM_AUTH,
  })
  @ApiBody({ type: ScimUserBodyDto })
  @ApiCreatedResponse({ description: 'The User.' })
  async createUser(
    @Directory() caller: ScimCaller,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Client() client: ClientInfo,
  ): Promise<Json> {
    return located(reply, await this.users.create(caller, body, client));
  }

  @Get('Users')
  @ScimRoute()
  @ApiOperation({
    summary: 'SCIM: list users',
    description:
      'A ListResponse; filters `userName eq`, `externalId eq`, `emails[type eq "work"].value eq`, `active eq` (and `id eq`), joined by `and`; others 400 `invalidFilter`. `startIndex` (1-based) and `count` (≤ 200).' +
      SCIM_AUTH,
  })
  @(listQueries[0])
  @(listQueries[1])
  @(listQueries[2])
  @ApiOkResponse({ description: 'A ListResponse of Users.' })
  listUsers(@NoBody() _: undefined, @Directory() caller: ScimCaller, @Query() query: Json): Promise<Json> {
    return this.users.list(caller, query);
  }

  @Get('Users/:id')
  @ScimRoute()
  @ApiOperation({ summary: 'SCIM: read a user', description: '404 for an id of another organization.' + SCIM_AUTH })
  @ApiOkResponse({ description: 'The User.' })
  getUser(@NoBody() _: undefined, @Directory() caller: ScimCaller, @IdParam('id') id: string): Promise<Json> {
    return this.users.get(caller, id);
  }

  @Put('Users/:id')
  @ScimRoute()
  @ApiConsumes(SCIM_MEDIA_TYPE, 'application/json')
  @ApiOperation({
    summary: 'SCIM: replace a user',
    description:
      '`active: false` suspends the account at once (sessions and API keys end; sign-ins answer 403 `account_suspended`), `true` restores it. `userName` cannot change (400 `mutability`).' +
      SCIM_AUTH,
  })
  @ApiBody({ type: ScimUserBodyDto })
  @ApiOkResponse({ description: 'The User.' })
  replaceUser(@Directory() caller: ScimCaller, @IdParam('id') id: string, @Body() body: unknown): Promise<Json> {
    return this.users.replace(caller, id, body);
  }

  @Patch('Users/:id')
  @ScimRoute()
  @ApiConsumes(SCIM_MEDIA_TYPE, 'application/json')
  @ApiOperation({
    summary: 'SCIM: patch a user',
    description:
      'PatchOp add/replace/remove, with or without `path` (value filters such as `emails[type eq "work"].value`; Entra’s `Replace` and `"False"` too).' +
      SCIM_AUTH,
  })
  @ApiBody({ type: ScimPatchDto })
  @ApiOkResponse({ description: 'The User.' })
  patchUser(@Directory() caller: ScimCaller, @IdParam('id') id: string, @Body() body: unknown): Promise<Json> {
    return this.users.patch(caller, id, body);
  }

  @Delete('Users/:id')
  @ScimRoute()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'SCIM: deprovision a user',
    description:
      'Removes the membership; an account of the organization’s domain that belongs to no other organization is erased at once. 409 for the last owner.' +
      SCIM_AUTH,
  })
  @ApiNoContentResponse()
  async deleteUser(@NoBody() _: undefined, @Directory() caller: ScimCaller, @IdParam('id') id: string): Promise<void> {
    await this.users.remove(caller, id);
  }

  @Post('Groups')
  @ScimRoute()
  @ApiConsumes(SCIM_MEDIA_TYPE, 'application/json')
  @ApiOperation({
    summary: 'SCIM: create a group',
    description:
      '`displayName` and `members` (`value` = a SCIM user id). A member’s role is the highest any of their groups maps to in the connection’s `groupRoleMap`, else `defaultRole`.' +
      SCIM_AUTH,
  })
  @ApiBody({ type: ScimGroupBodyDto })
  @ApiCreatedResponse({ description: 'The Group.' })
  async createGroup(
    @Directory() caller: ScimCaller,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Json> {
    return located(reply, await this.groups.create(caller, body));
  }

  @Get('Groups')
  @ScimRoute()
  @ApiOperation({
    summary: 'SCIM: list groups',
    description:
      'A ListResponse; filter `displayName eq` (and `externalId eq`, `id eq`); `excludedAttributes=members`.' +
      SCIM_AUTH,
  })
  @(listQueries[0])
  @(listQueries[1])
  @(listQueries[2])
  @ApiQuery({ name: 'excludedAttributes', required: false, type: String })
  @ApiOkResponse({ description: 'A ListResponse of Groups.' })
  listGroups(@NoBody() _: undefined, @Directory() caller: ScimCaller, @Query() query: Json): Promise<Json> {
    return this.groups.list(caller, query);
  }

  @Get('Groups/:id')
  @ScimRoute()
  @ApiOperation({
    summary: 'SCIM: read a group',
    description: '`excludedAttributes=members` leaves the members out.' + SCIM_AUTH,
  })
  @ApiQuery({ name: 'excludedAttributes', required: false, type: String })
  @ApiOkResponse({ description: 'The Group.' })
  getGroup(
    @NoBody() _: undefined,
    @Directory() caller: ScimCaller,
    @IdParam('id') id: string,
    @Query() query: Json,
  ): Promise<Json> {
    return this.groups.get(caller, id, query);
  }

  @Put('Groups/:id')
  @ScimRoute()
  @ApiConsumes(SCIM_MEDIA_TYPE, 'application/json')
  @ApiOperation({
    summary: 'SCIM: replace a group',
    description: 'Its name and members; the roles of those it touches follow.' + SCIM_AUTH,
  })
  @ApiBody({ type: ScimGroupBodyDto })
  @ApiOkResponse({ description: 'The Group.' })
  replaceGroup(@Directory() caller: ScimCaller, @IdParam('id') id: string, @Body() body: unknown): Promise<Json> {
    return this.groups.replace(caller, id, body);
  }

  @Patch('Groups/:id')
  @ScimRoute()
  @ApiConsumes(SCIM_MEDIA_TYPE, 'application/json')
  @ApiOperation({
    summary: 'SCIM: patch a group',
    description:
      'PatchOp: add or remove members (`members[value eq "…"]`, or `members` with a value list), replace displayName.' +
      SCIM_AUTH,
  })
  @ApiBody({ type: ScimPatchDto })
  @ApiOkResponse({ description: 'The Group.' })
  patchGroup(@Directory() caller: ScimCaller, @IdParam('id') id: string, @Body() body: unknown): Promise<Json> {
    return this.groups.patch(caller, id, body);
  }

  @Delete('Groups/:id')
  @ScimRoute()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'SCIM: delete a group',
    description: 'Its members’ roles follow their remaining groups.' + SCIM_AUTH,
  })
  @ApiNoContentResponse()
  async deleteGroup(@NoBody() _: undefined, @Directory() caller: ScimCaller, @IdParam('id') id: string): Promise<void> {
    await this.groups.remove(caller, id);
  }
}
