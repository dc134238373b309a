import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { WEBHOOK_EVENT_TYPES } from '../webhooks/webhook-events';
import type { CreatedWebhookEndpoint, WebhookEndpointView } from '../webhooks/webhooks.service';

const SUBSCRIBABLE = ['*', ...WEBHOOK_EVENT_TYPES];

export class CreateWebhookDto {
  @ApiProperty({
    example: 'https://app.example.com/hooks/authd',
    maxLength: 2048,
    description:
      'https (http outside production), without credentials; its host must not resolve to a loopback, private ' +
      'or link-local address unless WEBHOOK_ALLOW_PRIVATE=true',
  })
  @IsString()
  @MaxLength(2048)
  url: string;

  @ApiProperty({
    example: ['user.created', 'user.deleted'],
    description: 'the event types to receive, or `["*"]` for all of them',
    type: [String],
    enum: SUBSCRIBABLE,
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(SUBSCRIBABLE.length)
  @IsIn(SUBSCRIBABLE, { each: true })
  events: string[];

  @ApiPropertyOptional({ example: 'CRM sync', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class WebhookEndpointDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'https://app.example.com/hooks/authd' }) url: string;
  @ApiProperty({ type: [String], example: ['user.created', 'user.deleted'] }) events: string[];
  @ApiProperty({ type: String, nullable: true, example: 'CRM sync' }) description: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(endpoint: WebhookEndpointView): WebhookEndpointDto {
    return {
      id: endpoint.id,
      url: endpoint.url,
      events: endpoint.events,
      description: endpoint.description,
      createdAt: new Date(endpoint.createdAt).toISOString(),
    };
  }
}

export class CreatedWebhookEndpointDto extends WebhookEndpointDto {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw5YRsNVP8Qlw=',
    description: 'the signing secret (Standard Webhooks), shown this once',
  })
  secret: string;

  static ofCreated(endpoint: CreatedWebhookEndpoint): CreatedWebhookEndpointDto {
    return { ...WebhookEndpointDto.of(endpoint), secret: endpoint.secret };
  }
}

export class WebhookTestDto {
  @ApiProperty({ format: 'uuid', description: 'the test event’s id: the `webhook-id` it arrives with' })
  eventId: string;
}
