import { WebhooksService } from '../../src/webhooks/webhooks.service';
import type { TestApp } from './test-app';
import { WebhookReceiver } from './webhook-receiver';

/**
 * An endpoint of the product subscribed to every event: events are queued only for a subscriber,
 * so a spec that reads what was queued needs one. The app must run with WEBHOOK_ALLOW_PRIVATE=true
 * (the receiver is on loopback). Answers the receiver, to stop it after.
 */
export async function subscribeToEveryEvent(t: TestApp): Promise<WebhookReceiver> {
  const receiver = await WebhookReceiver.start();
  await t.app.get(WebhooksService).createEndpoint({ url: receiver.url(), events: ['*'] });
  return receiver;
}
