import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { Clock } from '../common/clock';
import { Cipher } from '../common/crypto';
import { AppConfig } from '../config';
import { OutboxRelay } from '../tasks';
import { guardedLookup, GuardedLookup } from './webhook-address';
import { sendWebhook, SendOutcome } from './webhook-sender';
import { ClaimedDelivery, WEBHOOKS_CHANNEL, WebhooksRepository } from './webhooks.repository';
import { endpointSecretAad } from './webhooks.service';

/** Deliveries claimed at once; they are sent side by side, so a batch takes at most one timeout. */
const BATCH_SIZE = 10;
/** A claimed delivery not finished by then (its sender died) is claimed again by someone else. */
const LEASE_MS = 5 * 60_000;
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 4 * 60 * 60_000;
/** How long a delivery is retried before it is given up (after one retry at least). */
export const RETRY_FOR_MS = 24 * 60 * 60_000;
/** Events no delivery waits for are kept this long, then deleted with their deliveries. */
export const KEEP_EVENTS_MS = 7 * 24 * 60 * 60_000;

export interface WebhookDeliveryCounts {
  delivered: number;
  failed: number;
}

/**
 * Sends due webhook deliveries, signed the Standard Webhooks way. The relay runs it right after a
 * commit that queued deliveries; the deliver-webhooks task retries. Any number of senders can run.
 */
@Injectable()
export class WebhookDeliveries implements OnModuleInit {
  private readonly logger = new Logger('Webhooks');
  private readonly lookup: GuardedLookup;

  constructor(
    private readonly config: AppConfig,
    private readonly webhooks: WebhooksRepository,
    private readonly cipher: Cipher,
    private readonly clock: Clock,
    private readonly relay: OutboxRelay,
  ) {
    this.lookup = guardedLookup(config.webhookAllowPrivate);
  }

  onModuleInit(): void {
    this.relay.register(WEBHOOKS_CHANNEL, () => this.deliverDue());
  }

  /** Delivers everything due now, batch by batch. */
  async deliverDue(): Promise<WebhookDeliveryCounts> {
    const counts: WebhookDeliveryCounts = { delivered: 0, failed: 0 };
    for (;;) {
      const now = this.clock.now();
      const batch = await this.webhooks.claimDue(now, new Date(now.getTime() + LEASE_MS), BATCH_SIZE);
      const results = await Promise.all(batch.map((delivery) => this.attempt(delivery)));
      for (const delivered of results) counts[delivered ? 'delivered' : 'failed']++;
      if (batch.length < BATCH_SIZE) return counts;
    }
  }

  /** Deletes the events no delivery waits for once they are a week old. */
  pruneSettled(): Promise<number> {
    return this.webhooks.deleteSettledEventsBefore(new Date(this.clock.now().getTime() - KEEP_EVENTS_MS));
  }

  private async attempt(delivery: ClaimedDelivery): Promise<boolean> {
    let outcome: SendOutcome;
    try {
      outcome = await sendWebhook(this.sign(delivery), this.lookup, this.config.webhookAllowPrivate);
    } catch (error) {
      outcome = { ok: false, status: null, reason: error instanceof Error ? error.name : 'error' };
    }
    const line = {
      deliveryId: delivery.id,
      eventId: delivery.eventId,
      endpointId: delivery.endpointId,
      type: delivery.type,
      attempt: delivery.attempts,
      status: outcome.status,
    };
    const now = this.clock.now();
    if (outcome.ok) {
      await this.webhooks.markDelivered(delivery.id, now, outcome.status);
      this.logger.log({ ...line, msg: 'webhook delivered' });
      return true;
    }
    const queuedAt = new Date(delivery.createdAt).getTime();
    const deadline = queuedAt + RETRY_FOR_MS;
    if (now.getTime() >= deadline && delivery.attempts >= 2) {
      await this.webhooks.markFailed(delivery.id, now, outcome.status, outcome.reason);
      this.logger.error({ ...line, reason: outcome.reason, msg: 'webhook given up after 24 hours of retries' });
      return false;
    }
    const backoff = Math.min(FIRST_RETRY_MS * 2 ** (delivery.attempts - 1), MAX_RETRY_MS);
    // The last try falls at the end of the 24 hours; a first failure after them still gets one more.
    const next = new Date(Math.max(Math.min(now.getTime() + backoff, deadline), now.getTime() + FIRST_RETRY_MS));
    await this.webhooks.scheduleRetry(delivery.id, next, outcome.status, outcome.reason);
    this.logger.warn({ ...line, reason: outcome.reason, retryAt: next, msg: 'webhook not delivered' });
    return false;
  }

  /** The request: `webhook-id` is the event's id (the same on every retry), signed with the endpoint's secret. */
  private sign(delivery: ClaimedDelivery) {
    const secret = this.cipher.open(delivery.secret, endpointSecretAad(delivery.endpointId)).toString('utf8');
    const body = JSON.stringify({
      type: delivery.type,
      timestamp: new Date(delivery.eventCreatedAt).toISOString(),
      data: delivery.data,
    });
    const sentAt = this.clock.now();
    return {
      url: delivery.url,
      body,
      headers: {
        'webhook-id': delivery.eventId,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign(delivery.eventId, sentAt, body),
      },
    };
  }
}
