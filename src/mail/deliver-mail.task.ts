import { Injectable } from '@nestjs/common';
import { CronExpression } from '@nestjs/schedule';
import { ScheduledTask, Task, TaskResult } from '../tasks';
import { MailDelivery } from './mail-delivery.service';

/** Retries outbox mail whose first delivery failed, and clears delivered rows after a week. */
@Task()
@Injectable()
export class DeliverMailTask implements ScheduledTask {
  readonly name = 'deliver-mail';
  readonly schedule = CronExpression.EVERY_30_SECONDS;
  readonly description = 'retries outbox mail whose delivery failed; clears delivered mail after a week';

  constructor(private readonly delivery: MailDelivery) {}

  async run(): Promise<TaskResult> {
    const { sent, failed } = await this.delivery.deliverDue();
    const pruned = await this.delivery.pruneSent();
    return { sent, failed, pruned };
  }
}
