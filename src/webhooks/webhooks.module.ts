import { Module } from '@nestjs/common';
import { CommonModule } from '../common/common.module';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';
import { WebhooksUserData } from './webhooks.user-data';

/** Events for the product around authd, queued with the changes they report (Standard Webhooks). */
@Module({
  imports: [CommonModule],
  providers: [WebhooksService, WebhooksRepository, WebhooksUserData],
  exports: [WebhooksService],
})
export class WebhooksModule {}
