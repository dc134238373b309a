import { Injectable } from '@nestjs/common';
import { DomainEventMap, OnDomainEvent } from '../common/domain-events';
import { ApiKeysService } from './api-keys.service';

/** What the API-keys module does when other modules change a user's credentials. */
@Injectable()
export class ApiKeysReactions {
  constructor(private readonly apiKeys: ApiKeysService) {}

  /**
   * A reset means someone else may have held the account, and made keys: they all go. A change by
   * the signed-in user keeps them unless the user asks (README: API keys and password changes).
   */
  @OnDomainEvent('user.password_changed')
  async revokeWithPassword({
    userId,
    email,
    reset,
    revokeApiKeys,
    client,
  }: DomainEventMap['user.password_changed']): Promise<void> {
    if (!revokeApiKeys) return;
    await this.apiKeys.revokeAll({ id: userId, email }, reset ? 'password_reset' : 'password_changed', client);
  }

  /** A locked or suspended account's keys all go at once. */
  @OnDomainEvent('user.access_revoked')
  async revokeWithAccess({ userId, email, reason }: DomainEventMap['user.access_revoked']): Promise<void> {
    await this.apiKeys.revokeAll({ id: userId, email }, reason);
  }
}
