import { Module } from '@nestjs/common';
import { CommonModule } from '../common/common.module';
import { TasksModule } from '../tasks';
import { DeliverWebhooksTask } from './deliver-webhooks.task';
import { WebhookDeliveries } from './webhook-delivery.service';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';
import { WebhooksSealedData } from './webhooks.sealed-data';
import { WebhooksUserData } from './webhooks.user-data';

/** Events for the product around authd, queued with the changes they report and delivered signed (Standard Webhooks). */
@Module({
  imports: [CommonModule, TasksModule],
  providers: [
    WebhooksService,
    WebhooksRepository,
    WebhooksUserData,
    WebhooksSealedData,
    WebhookDeliveries,
    DeliverWebhooksTask,
  ],
  exports: [WebhooksService, WebhookDeliveries],
})
export class WebhooksModule {}
