import { Injectable } from '@nestjs/common';
import { DomainEventMap, OnDomainEvent } from '../common/domain-events';
import { UsersService } from './users.service';

/** What the users module does when other modules change what an account is tied to. */
@Injectable()
export class UsersReactions {
  constructor(private readonly users: UsersService) {}

  /** The accounts keep working (with a password, or a new provider); they just name no provider. */
  @OnDomainEvent('sso.provider_removed')
  async forgetProvider({ providerId }: DomainEventMap['sso.provider_removed']): Promise<void> {
    await this.users.clearSsoProvider(providerId);
  }
}
