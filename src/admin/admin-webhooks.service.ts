import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Transactional, TransactionHost } from '../database/transactions';
import type { AdminAuth } from '../http';
import type { CreatedWebhookEndpoint, NewWebhookEndpoint, WebhookEndpointView } from '../webhooks/webhooks.service';
import { WebhooksService } from '../webhooks/webhooks.service';

/** An endpoint as the audit log names it: the URL's origin (its path or query may hold something private). */
function origin(url: string): string {
  return new URL(url).origin;
}

/** Operators manage the product's webhook endpoints; each change audited with the admin key as actor. */
@Injectable()
export class AdminWebhooksService {
  constructor(
    private readonly txHost: TransactionHost,
    private readonly webhooks: WebhooksService,
    private readonly audit: AuditService,
  ) {}

  @Transactional()
  async create(admin: AdminAuth, input: NewWebhookEndpoint, client: ClientInfo): Promise<CreatedWebhookEndpoint> {
    const endpoint = await this.webhooks.createEndpoint(input);
    await this.audit.record({
      action: 'webhook.endpoint_created',
      actor: { adminKeyId: admin.adminKey.id },
      client,
      target: `webhook:${endpoint.id}`,
      details: { origin: origin(endpoint.url), events: endpoint.events.join(',') },
    });
    return endpoint;
  }

  list(): Promise<WebhookEndpointView[]> {
    return this.webhooks.listEndpoints();
  }

  @Transactional()
  async delete(admin: AdminAuth, id: string, client: ClientInfo): Promise<void> {
    await this.webhooks.deleteEndpoint(id);
    await this.audit.record({
      action: 'webhook.endpoint_deleted',
      actor: { adminKeyId: admin.adminKey.id },
      client,
      target: `webhook:${id}`,
    });
  }

  /** Queues `webhook.test` for that endpoint alone; answers the event's id. */
  @Transactional()
  async test(admin: AdminAuth, id: string, client: ClientInfo): Promise<string> {
    const eventId = await this.webhooks.sendTest(id);
    await this.audit.record({
      action: 'webhook.test_sent',
      actor: { adminKeyId: admin.adminKey.id },
      client,
      target: `webhook:${id}`,
      details: { eventId },
    });
    return eventId;
  }
}
