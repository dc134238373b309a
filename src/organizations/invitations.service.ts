import { Injectable } from '@nestjs/common';
import { AuditEvent, AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { generateToken, hashToken } from '../common/crypto';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { Transactional, TransactionHost } from '../database/transactions';
import type { UserView } from '../http';
import { OutboxService } from '../mail';
import { RateLimiter } from '../rate-limit/rate-limiter.service';
import { normalizeEmail } from '../users/user.dto';
import { UsersService } from '../users/users.service';
import { MANAGERS, mayInvite, ORG_ROLES, OrgRole } from './organization.entity';
import { OrganizationsRepository, PendingInvitation } from './organizations.repository';
import { WebhooksService } from '../webhooks/webhooks.service';

/** How long an invitation's link works. */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60_000;

/** An id no account has: the membership lookup for an address without an account. */
const NO_USER = '00000000-0000-0000-0000-000000000000';

type Actor = Pick<UserView, 'id' | 'email' | 'name'>;

/** What the inviter is told: the same whether or not the address has an account. */
export type SentInvitation = Pick<PendingInvitation, 'id' | 'email' | 'role' | 'expiresAt'>;

/**
 * Membership by invitation. A manager invites an address; the link goes to that address, and only a
 * signed-in user whose verified email is that address can take it, once. Nothing the inviter sees
 * says whether the address has an account.
 */
@Injectable()
export class InvitationsService {
  constructor(
    private readonly txHost: TransactionHost,
    private readonly orgs: OrganizationsRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly outbox: OutboxService,
    private readonly limiter: RateLimiter,
    private readonly audit: AuditService,
    private readonly webhooks: WebhooksService,
  ) {}

  /**
   * Owners and admins invite (only owners invite owners). Inviting a pending address again replaces
   * its invitation: a new link, role and expiry, the old link dead.
   */
  async invite(actor: Actor, orgId: string, email: string, role: OrgRole, client: ClientInfo): Promise<SentInvitation> {
    const org = await this.orgs.organizationFor(orgId, actor.id);
    if (!org) throw new DomainError('not_found');
    if (!mayInvite(org.role, role)) throw new DomainError('insufficient_role');
    const address = normalizeEmail(email);
    // Counted before anything is looked up or sent, outside the transaction so a refusal still counts;
    // the organization's allowance last, so one inviter's refused attempts do not spend it.
    await this.limiter.consume('invitationsPerInviter', actor.id);
    await this.limiter.consume('invitationsPerAddress', [address, orgId]);
    await this.limiter.consume('invitationMailsPerAddress', address);
    await this.limiter.consume('invitationsPerOrg', orgId);
    return this.txHost.withTransaction(async () => {
      // Again under the organization's lock: a manager demoted or removed meanwhile has had their
      // pending invitations withdrawn, and must not add one after that.
      await this.orgs.lockOrganization(orgId);
      const current = (await this.orgs.roleOf(orgId, actor.id)) ?? null;
      if (current === null) throw new DomainError('not_found');
      if (!mayInvite(current, role)) throw new DomainError('insufficient_role');
      // Members are listed to every member, so saying one already is tells the inviter nothing new.
      // The same lookups run whether or not the address has an account, so the time tells nothing either.
      const existing = await this.users.findByEmail(address);
      if (await this.orgs.roleOf(orgId, existing?.id ?? NO_USER)) throw new DomainError('already_member');
      const token = generateToken();
      const now = this.clock.now();
      const expiresAt = new Date(now.getTime() + INVITATION_TTL_MS);
      const id = await this.orgs.upsertInvitation({
        orgId,
        email: address,
        role,
        tokenHash: hashToken(token),
        invitedBy: actor.id,
        createdAt: now,
        expiresAt,
      });
      await this.outbox.enqueue(address, 'org-invitation', {
        orgName: org.name,
        inviterName: actor.name ?? actor.email,
        role,
        acceptUrl: `${this.config.appUrl}/accept-invitation?token=${encodeURIComponent(token)}`,
        expiresInDays: Math.round(INVITATION_TTL_MS / (24 * 60 * 60_000)),
      });
      await this.audit.record({
        action: 'org.invitation_sent',
        actor,
        client,
        target: `org:${orgId}`,
        details: { invitationId: id, email: address, role },
      });
      return { id, email: address, role, expiresAt };
    });
  }

  async listPending(actor: Actor, orgId: string): Promise<PendingInvitation[]> {
    await this.requireManager(orgId, actor.id);
    return this.orgs.pendingInvitations(orgId, this.clock.now());
  }

  /** Managers revoke; an invitation to become owner only an owner revokes. */
  @Transactional()
  async revoke(actor: Actor, orgId: string, invitationId: string, client: ClientInfo): Promise<void> {
    // Outsiders are answered before any lock is taken.
    await this.requireManager(orgId, actor.id);
    // Then again under the organization's lock, which an acceptance and a membership change take
    // too: of a revocation and an acceptance at once, one finds the invitation and the other does
    // not, and a manager demoted meanwhile revokes with the role they have now.
    await this.orgs.lockOrganization(orgId);
    const actorRole = await this.requireManager(orgId, actor.id);
    const invitation = await this.orgs.findInvitation(orgId, invitationId);
    if (!invitation) throw new DomainError('not_found');
    if (invitation.role === 'owner' && actorRole !== 'owner') throw new DomainError('insufficient_role');
    if (!(await this.orgs.deleteInvitation(orgId, invitationId))) throw new DomainError('not_found');
    await this.audit.record({
      action: 'org.invitation_revoked',
      actor,
      client,
      target: `org:${orgId}`,
      details: { invitationId, email: invitation.email, role: invitation.role },
    });
  }

  /**
   * After `inviterId`'s role in the organization became `role` (null: they left or were removed):
   * their pending invitations that this role may not send die, so trust withdrawn from a manager is
   * not kept alive by the links they sent. Runs in the caller's transaction; `actor` made the change.
   */
  async withdrawSentBy(
    actor: AuditEvent['actor'],
    orgId: string,
    inviterId: string,
    role: OrgRole | null,
    client?: ClientInfo,
  ): Promise<void> {
    const beyond = ORG_ROLES.filter((invited) => !mayInvite(role, invited));
    if (beyond.length === 0) return;
    const withdrawn = await this.orgs.deleteInvitationsBy(orgId, inviterId, beyond, this.clock.now());
    await this.audit.recordMany(
      withdrawn.map((invitation) => ({
        action: 'org.invitation_revoked' as const,
        actor,
        client,
        target: `org:${orgId}`,
        details: {
          invitationId: invitation.id,
          email: invitation.email,
          role: invitation.role,
          reason: 'inviter_lost_role',
        },
      })),
    );
  }

  /**
   * Taken only by a user whose verified address is the one invited (the route's guard has refused
   * unverified users already); a mismatch leaves the invitation for its addressee.
   */
  @Transactional()
  async accept(user: UserView, token: string, client: ClientInfo): Promise<{ orgId: string; role: OrgRole }> {
    const now = this.clock.now();
    const invitation = await this.orgs.liveInvitation(token, now);
    if (!invitation) throw new DomainError('invalid_token');
    if (!user.emailVerifiedAt || normalizeEmail(user.email) !== invitation.email) {
      throw new DomainError('invitation_email_mismatch');
    }
    await this.orgs.lockOrganization(invitation.orgId);
    if (!(await this.orgs.takeInvitation(invitation.id, token, now))) throw new DomainError('invalid_token');
    // Rolled back with the rest: the invitation stays for a later try.
    if (await this.orgs.roleOf(invitation.orgId, user.id)) throw new DomainError('already_member');
    await this.orgs.addMember({ orgId: invitation.orgId, userId: user.id, role: invitation.role, createdAt: now });
    await this.webhooks.emit('org.member_added', { orgId: invitation.orgId, userId: user.id, role: invitation.role });
    await this.audit.record({
      action: 'org.member_added',
      actor: user,
      client,
      target: `org:${invitation.orgId}`,
      details: { invitationId: invitation.id, userId: user.id, role: invitation.role },
    });
    return { orgId: invitation.orgId, role: invitation.role };
  }

  private async requireManager(orgId: string, userId: string): Promise<OrgRole> {
    const role = await this.orgs.roleOf(orgId, userId);
    if (!role) throw new DomainError('not_found');
    if (!MANAGERS.includes(role)) throw new DomainError('insufficient_role');
    return role;
  }
}
