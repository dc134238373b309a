import { Injectable } from '@nestjs/common';
import { ErasedAccount, UserData, UserDataHandler } from '../common/user-data';
import { WebhooksRepository } from './webhooks.repository';

/**
 * Events about an erased account go with their deliveries (`user.deleted`, queued after the
 * erasure, says what is left to say, and stays until delivered, then a week). Endpoints hold
 * nothing of any user; they are listed so every table has its handler.
 */
@UserData({ tables: ['webhook_events', 'webhook_deliveries', 'webhook_endpoints'] })
@Injectable()
export class WebhooksUserData implements UserDataHandler {
  constructor(private readonly webhooks: WebhooksRepository) {}

  erase(accounts: ErasedAccount[]): Promise<void> {
    return this.webhooks.deleteEventsOf(accounts.map((account) => account.id));
  }
}
