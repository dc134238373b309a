import { Injectable } from '@nestjs/common';
import { DomainEventMap, OnDomainEvent } from '../common/domain-events';
import { SsoService } from './sso.service';

/** What the SSO module does when the organizations its providers belong to change. */
@Injectable()
export class SsoReactions {
  constructor(private readonly sso: SsoService) {}

  @OnDomainEvent('org.deleting')
  async removeProviders({ orgIds }: DomainEventMap['org.deleting']): Promise<void> {
    await this.sso.removeProvidersOfOrgs(orgIds);
  }
}
