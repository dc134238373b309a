import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiOperation,
} from '@nestjs/swagger';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { NoBody } from '../common/no-body.pipe';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto } from './api-keys.dto';
import { ApiKeysService } from './api-keys.service';
import { AllowUnverified, CurrentSession, IdParam, NoStore, RequireStepUp, RequireVerifiedEmail } from '../http';
import type { SessionAuth } from '../http';

@ApiTags('api-keys')
@Controller('me/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Get()
  @ApiOperation({
    summary: 'List my API keys',
    description: 'Name, prefix and use of each key; never the key itself.',
  })
  @AllowUnverified()
  @ApiOkResponse({ type: [ApiKeyDto] })
  async list(@CurrentSession() auth: SessionAuth): Promise<ApiKeyDto[]> {
    return (await this.apiKeys.list(auth.user.id)).map((key) => ApiKeyDto.of(key));
  }

  @Post()
  @ApiOperation({
    summary: 'Create an API key',
    description: 'Needs a verified email and a recent step-up. The key (`ak_…`) is in this answer only.',
  })
  @RequireVerifiedEmail()
  @RequireStepUp()
  @NoStore()
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  async create(
    @CurrentSession() auth: SessionAuth,
    @Body() body: CreateApiKeyDto,
    @Client() client: ClientInfo,
  ): Promise<CreatedApiKeyDto> {
    return CreatedApiKeyDto.of(await this.apiKeys.create(auth.user, auth.session, body.name, client));
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Revoke an API key',
    description: 'The key stops working at once; 404 for a key that is not the caller’s.',
  })
  @AllowUnverified()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'no such key among the caller’s' })
  async revoke(
    @NoBody() _: undefined,
    @CurrentSession() auth: SessionAuth,
    @IdParam('id') id: string,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.apiKeys.revoke(auth.user, id, client);
  }
}
