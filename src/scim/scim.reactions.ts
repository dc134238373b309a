import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { DomainEventMap, OnDomainEvent } from '../common/domain-events';
import { UsersService } from '../users/users.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import { ScimRepository } from './scim.repository';

/** What provisioning does when other modules change what its directories govern. */
@Injectable()
export class ScimReactions {
  constructor(
    private readonly repository: ScimRepository,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly webhooks: WebhooksService,
  ) {}

  /**
   * A deleted organization's directory governs no account any more, and no one would be left to lift
   * its suspensions: each is lifted (`user.reactivated`), or held by another organization whose
   * directory has the account inactive too.
   */
  @OnDomainEvent('org.deleting')
  async releaseSuspensions({ orgIds }: DomainEventMap['org.deleting']): Promise<void> {
    for (const { id, orgId } of await this.users.suspendedBy(orgIds)) {
      const still = await this.repository.inactiveElsewhere(id, orgIds);
      if (still) {
        await this.users.handOverSuspension(id, orgId, still);
        continue;
      }
      if (!(await this.users.setSuspension(id, orgId, false))) continue;
      await this.audit.record({
        action: 'scim.user_reactivated',
        actor: { id: null, email: null },
        target: `user:${id}`,
        details: { userId: id, orgId, reason: 'organization_deleted' },
      });
      await this.webhooks.emit('user.reactivated', { userId: id, orgId });
    }
  }
}
