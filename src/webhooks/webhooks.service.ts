import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { WebhookEventMap, WebhookEventType } from './webhook-events';
import { WebhooksRepository } from './webhooks.repository';

/** Events for the product's webhook endpoints. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly clock: Clock,
    private readonly webhooks: WebhooksRepository,
  ) {}

  /**
   * Queues an event in the caller's transaction: it is sent after the change it reports commits,
   * and never if that rolls back.
   */
  async emit<K extends WebhookEventType>(type: K, data: WebhookEventMap[K]): Promise<void> {
    const userId = 'userId' in data && typeof data.userId === 'string' ? data.userId : null;
    await this.webhooks.insertEvent(type, data, userId, this.clock.now());
  }
}
