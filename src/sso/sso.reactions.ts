import { Injectable } from '@nestjs/common';
import { DomainEventMap, OnDomainEvent } from '../common/domain-events';
import { SsoEnforcementService } from './sso-enforcement.service';
import { SsoIdentitiesService } from './sso-identities.service';
import { SsoProvidersService } from './sso-providers.service';

/** What the SSO module does when the organizations its providers belong to, or the accounts it signs in, change. */
@Injectable()
export class SsoReactions {
  constructor(
    private readonly providers: SsoProvidersService,
    private readonly identities: SsoIdentitiesService,
    private readonly enforcement: SsoEnforcementService,
  ) {}

  @OnDomainEvent('org.deleting')
  async removeProviders({ orgIds }: DomainEventMap['org.deleting']): Promise<void> {
    await this.providers.removeProvidersOfOrgs(orgIds);
  }

  @OnDomainEvent('user.email_changed')
  async unlinkOutsideAddress({ userId }: DomainEventMap['user.email_changed']): Promise<void> {
    await this.identities.unlinkOutsideAddress(userId);
  }

  @OnDomainEvent('user.password_changed')
  async unlinkOnReset({ userId, email, reset }: DomainEventMap['user.password_changed']): Promise<void> {
    if (reset) await this.identities.unlinkAll(userId, 'password_reset', { id: userId, email });
  }

  @OnDomainEvent('org.owner_stepped_down')
  async endBreakGlass({ userId, orgId, client }: DomainEventMap['org.owner_stepped_down']): Promise<void> {
    await this.enforcement.ownerSteppedDown(userId, orgId, client);
  }
}
