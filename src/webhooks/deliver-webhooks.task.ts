import { Injectable } from '@nestjs/common';
import { CronExpression } from '@nestjs/schedule';
import { ScheduledTask, Task, TaskResult } from '../tasks';
import { WebhookDeliveries } from './webhook-delivery.service';

/** Retries webhook deliveries that failed (for 24 hours, then gives them up), and clears settled events after a week. */
@Task()
@Injectable()
export class DeliverWebhooksTask implements ScheduledTask {
  readonly name = 'deliver-webhooks';
  readonly schedule = CronExpression.EVERY_30_SECONDS;
  readonly description =
    'retries webhook deliveries (24 hours, then marked failed); clears settled events after a week';

  constructor(private readonly deliveries: WebhookDeliveries) {}

  async run(): Promise<TaskResult> {
    const { delivered, failed } = await this.deliveries.deliverDue();
    const pruned = await this.deliveries.pruneSettled();
    return { delivered, failed, pruned };
  }
}
