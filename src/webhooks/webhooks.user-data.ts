import { Injectable } from '@nestjs/common';
import { ErasedAccount, UserData, UserDataHandler } from '../common/user-data';
import { WebhooksRepository } from './webhooks.repository';

/** Events about an erased account go with it (`user.deleted`, queued after, says what is left to say). */
@UserData({ tables: ['webhook_events'] })
@Injectable()
export class WebhooksUserData implements UserDataHandler {
  constructor(private readonly webhooks: WebhooksRepository) {}

  erase(accounts: ErasedAccount[]): Promise<void> {
    return this.webhooks.deleteEventsOf(accounts.map((account) => account.id));
  }
}
