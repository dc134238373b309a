import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post, UseInterceptors } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { NoBody } from '../common/no-body.pipe';
import { AdminRoute, CurrentAdmin, IdParam } from '../http';
import type { AdminAuth } from '../http';
import { AdminWebhooksService } from './admin-webhooks.service';
import { CreatedWebhookEndpointDto, CreateWebhookDto, WebhookEndpointDto, WebhookTestDto } from './webhooks.dto';
import { AdminAuditInterceptor } from './admin-audit.interceptor';

@ApiTags('admin')
@Controller('admin/webhooks')
@UseInterceptors(AdminAuditInterceptor)
export class AdminWebhooksController {
  constructor(private readonly webhooks: AdminWebhooksService) {}

  @Post()
  @AdminRoute('webhooks:write')
  @ApiOperation({
    summary: 'Register a webhook endpoint',
    description:
      'Adds an endpoint for the event types listed (or `["*"]`), signed the Standard Webhooks way with the ' +
      '`whsec_` secret answered here once. The URL is checked now (https outside development; a host resolving ' +
      'to a loopback, private or link-local address refused unless WEBHOOK_ALLOW_PRIVATE=true) and at every ' +
      'delivery. It receives the events queued from now on.',
  })
  @ApiCreatedResponse({ type: CreatedWebhookEndpointDto })
  async create(
    @CurrentAdmin() admin: AdminAuth,
    @Body() body: CreateWebhookDto,
    @Client() client: ClientInfo,
  ): Promise<CreatedWebhookEndpointDto> {
    return CreatedWebhookEndpointDto.ofCreated(await this.webhooks.create(admin, body, client));
  }

  @Get()
  @AdminRoute('webhooks:write')
  @ApiOperation({ summary: 'List the webhook endpoints', description: 'Every endpoint, oldest first; never a secret.' })
  @ApiOkResponse({ type: [WebhookEndpointDto] })
  async list(): Promise<WebhookEndpointDto[]> {
    return (await this.webhooks.list()).map((endpoint) => WebhookEndpointDto.of(endpoint));
  }

  @Delete(':id')
  @AdminRoute('webhooks:write')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Remove a webhook endpoint',
    description: 'The endpoint receives nothing more, not even the deliveries still waiting for it.',
  })
  @ApiNoContentResponse()
  async delete(
    @CurrentAdmin() admin: AdminAuth,
    @IdParam('id') id: string,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.webhooks.delete(admin, id, client);
  }

  @Post(':id/test')
  @AdminRoute('webhooks:write')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Send a test event to a webhook endpoint',
    description:
      'Queues a `webhook.test` event (`data: {endpointId}`) for this endpoint alone, sent at once and retried ' +
      'like any other; answers its id, the `webhook-id` it arrives with.',
  })
  @ApiAcceptedResponse({ type: WebhookTestDto })
  async test(
    @CurrentAdmin() admin: AdminAuth,
    @IdParam('id') id: string,
    @NoBody() _: undefined,
    @Client() client: ClientInfo,
  ): Promise<WebhookTestDto> {
    return { eventId: await this.webhooks.test(admin, id, client) };
  }
}
