import { randomBytes, randomUUID } from 'node:crypto';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { Clock } from '../common/clock';
import { Cipher } from '../common/crypto';
import { DomainError, validationFailed } from '../common/errors';
import { Metrics } from '../common/metrics';
import { AppConfig } from '../config';
import { guardedLookup, GuardedLookup } from './webhook-address';
import { WEBHOOK_EVENT_TYPES, WebhookEventMap, WebhookEventType } from './webhook-events';
import { checkWebhookUrl } from './webhook-url';
import { EndpointRow, WebhooksRepository } from './webhooks.repository';

/** What an endpoint's secret is sealed with: bound to the endpoint, so no other sealed value opens as it. */
export const endpointSecretAad = (endpointId: string) => `webhook-endpoint:${endpointId}`;

const MAX_DESCRIPTION = 500;

export type WebhookEndpointView = EndpointRow;

export interface NewWebhookEndpoint {
  url: string;
  events: string[];
  description?: string | null;
}

/** A new endpoint with its secret: the one time the secret is shown. */
export type CreatedWebhookEndpoint = WebhookEndpointView & { secret: string };

/** How far behind the deliveries are: for the metrics. */
export interface WebhookBacklog {
  /** Deliveries neither delivered nor given up. */
  pending: number;
  /** Seconds since the oldest of them was queued; 0 without any. */
  oldestAgeSeconds: number;
}

/** Events for the product's webhook endpoints, and the endpoints themselves. */
@Injectable()
export class WebhooksService implements OnModuleInit {
  private readonly lookup: GuardedLookup;

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly cipher: Cipher,
    private readonly webhooks: WebhooksRepository,
    private readonly metrics: Metrics,
  ) {
    this.lookup = guardedLookup(config.webhookAllowPrivate);
  }

  /** The deliveries' backlog, in the metrics (`authd_outbox_pending{outbox="webhooks"}`, oldest age). */
  onModuleInit(): void {
    this.metrics.registerOutbox('webhooks', () => this.backlog());
  }

  /**
   * Queues an event in the caller's transaction, one delivery for each endpoint subscribed to its
   * type now: it is sent after the change it reports commits, and never if that rolls back. An
   * endpoint added later does not get it.
   */
  async emit<K extends WebhookEventType>(type: K, data: WebhookEventMap[K]): Promise<void> {
    const userId = 'userId' in data && typeof data.userId === 'string' ? data.userId : null;
    await this.webhooks.insertEvent(type, data, userId, this.clock.now());
  }

  /**
   * Adds an endpoint after checking its URL (scheme, and every address its host resolves to) and
   * its events (known types, or `["*"]` alone). The secret is sealed at rest and answered only here.
   */
  async createEndpoint(input: NewWebhookEndpoint): Promise<CreatedWebhookEndpoint> {
    const events = checkEvents(input.events);
    const description = input.description?.trim() || null;
    if (description && description.length > MAX_DESCRIPTION) {
      throw validationFailed([
        { field: 'description', problems: [`description must be at most ${MAX_DESCRIPTION} characters`] },
      ]);
    }
    const url = await checkWebhookUrl(input.url, {
      production: this.config.isProduction,
      allowPrivate: this.config.webhookAllowPrivate,
      lookup: this.lookup,
    });
    const id = randomUUID();
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const endpoint = { id, url, events, description, createdAt: this.clock.now() };
    await this.webhooks.insertEndpoint({
      ...endpoint,
      secret: this.cipher.seal(Buffer.from(secret, 'utf8'), endpointSecretAad(id)),
    });
    return { ...endpoint, secret };
  }

  /** Every endpoint, oldest first; never a secret. */
  listEndpoints(): Promise<WebhookEndpointView[]> {
    return this.webhooks.listEndpoints();
  }

  /** Removes the endpoint and whatever it still had to receive; not_found if there is none. */
  async deleteEndpoint(id: string): Promise<void> {
    if (!isUuid(id) || !(await this.webhooks.deleteEndpoint(id))) throw new DomainError('not_found');
  }

  /** Queues `webhook.test` for that endpoint alone (sent after commit); answers the event's id (its webhook-id). */
  async sendTest(id: string): Promise<string> {
    const eventId = isUuid(id) ? await this.webhooks.insertTestEvent(id, this.clock.now()) : undefined;
    if (!eventId) throw new DomainError('not_found');
    return eventId;
  }

  /** The deliveries waiting and the age of the oldest: one indexed query, for the metrics. */
  async backlog(): Promise<WebhookBacklog> {
    const { pending, oldest } = await this.webhooks.backlog();
    const age = oldest ? Math.max(0, (this.clock.now().getTime() - new Date(oldest).getTime()) / 1000) : 0;
    return { pending, oldestAgeSeconds: age };
  }
}

function checkEvents(events: unknown): string[] {
  const refuse = (problem: string) => validationFailed([{ field: 'events', problems: [problem] }]);
  if (!Array.isArray(events) || events.length === 0) throw refuse('events must list event types, or be ["*"]');
  const unique = [...new Set(events)];
  if (unique.includes('*')) {
    if (unique.length > 1) throw refuse('"*" subscribes to every type: list it alone');
    return ['*'];
  }
  const known: readonly string[] = WEBHOOK_EVENT_TYPES;
  const unknown = unique.filter((type) => typeof type !== 'string' || !known.includes(type));
  if (unknown.length > 0) throw refuse(`unknown event types: ${unknown.map(String).join(', ')}`);
  return unique as string[];
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
