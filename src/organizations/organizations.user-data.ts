import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { ErasedAccount, UserData, UserDataHandler } from '../common/user-data';
import { OutboxService } from '../mail';
import { normalizeEmail } from '../users/user.dto';
import { UsersService } from '../users/users.service';
import { OrganizationsRepository } from './organizations.repository';
import { OrganizationsService } from './organizations.service';
import { WebhooksService } from '../webhooks/webhooks.service';

/**
 * Memberships go, and invitations to any address the account has had; invitations it sent stay with their
 * organization, without their sender. Documents stay with their organization, authorless
 * ("Deleted user"). An organization losing its last owner passes to the longest-standing admin, else member; one left
 * with nobody is deleted with everything in it.
 */
@UserData({ tables: ['org_members', 'organizations', 'documents', 'org_invitations'] })
@Injectable()
export class OrganizationsUserData implements UserDataHandler {
  constructor(
    private readonly repository: OrganizationsRepository,
    private readonly organizations: OrganizationsService,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly webhooks: WebhooksService,
  ) {}

  async export(userId: string): Promise<Record<string, unknown>> {
    const documents = await this.repository.documentsBy(userId);
    const [user] = await this.users.findByIds([userId]);
    return {
      organizations: await this.repository.membershipsOf(userId),
      // Only for the proven holder of the address: anyone may sign up with an address and not prove it.
      invitationsReceived: user?.emailVerifiedAt ? await this.repository.invitationsTo(normalizeEmail(user.email)) : [],
      invitationsSent: await this.repository.invitationsBy(userId),
      documents: documents.map(({ id, orgId, title, body, createdAt }) => ({ id, orgId, title, body, createdAt })),
    };
  }

  async erase(accounts: ErasedAccount[]): Promise<void> {
    const leaving = accounts.map((account) => account.id);
    const memberships = await this.repository.lockMembershipsOf(leaving);
    const ownedOrgs = new Map(memberships.filter((m) => m.role === 'owner').map((m) => [m.orgId, m.orgName]));
    for (const [orgId, orgName] of ownedOrgs) {
      const heir = await this.repository.successor(orgId, leaving);
      if (!heir) continue;
      await this.repository.setRole(orgId, heir.userId, 'owner');
      await this.webhooks.emit('org.member_role_changed', { orgId, userId: heir.userId, role: 'owner' });
      const [user] = await this.users.findByIds([heir.userId]);
      await this.outbox.enqueue(user.email, 'org-ownership-transferred', { orgName, formerRole: heir.role });
      await this.audit.record({
        action: 'org.ownership_transferred',
        actor: { id: null, email: null },
        target: `org:${orgId}`,
        details: { userId: heir.userId, from: heir.role, reason: 'last_owner_deleted' },
      });
    }
    await this.repository.forgetAuthors(leaving);
    await this.repository.forgetInvitations(
      leaving,
      accounts.map((account) => normalizeEmail(account.email)),
      accounts.flatMap((account) => account.addressHashes),
    );
    await this.repository.removeMemberships(leaving);
    if (memberships.length > 0) await this.organizations.deleteMemberless(memberships.map((m) => m.orgId));
  }
}
