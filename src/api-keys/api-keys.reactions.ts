import { Injectable } from '@nestjs/common';
import { DomainEventMap, OnDomainEvent } from '../common/domain-events';
import { ApiKeysService } from './api-keys.service';

/** What the API-keys module does when other modules change a user's credentials. */
@Injectable()
export class ApiKeysReactions {
  constructor(private readonly apiKeys: ApiKeysService) {}

  /**
   * A reset means someone else may have held the account, and made keys: they all go. A change by
   * the signed-in user keeps them (README: API keys and password changes).
   */
  @OnDomainEvent('user.password_changed')
  async revokeOnReset({ userId, reset }: DomainEventMap['user.password_changed']): Promise<void> {
    if (reset) await this.apiKeys.revokeAll(userId);
  }
}
