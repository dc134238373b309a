import { Injectable } from '@nestjs/common';
import { Transactional, TransactionHost } from '../database/transactions';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { DomainEvents } from '../common/domain-events';
import { DomainError } from '../common/errors';
import { BATCH_SIZE } from '../tasks';
import { UsersService } from '../users/users.service';
import { InvitationsService } from './invitations.service';
import { MANAGERS } from './organization.entity';
import type { Membership, OrgRole } from './organization.entity';
import type { UserView } from '../http';
import { MemberOrganization, OrganizationsRepository } from './organizations.repository';
import { hasSecondFactor, mfaEnrollmentRequired } from './mfa-policy';
import { WebhooksService } from '../webhooks/webhooks.service';

export { ORG_ROLES } from './organization.entity';
export type { OrgRole } from './organization.entity';

export const DELETED_AUTHOR = 'Deleted user';

type Actor = Pick<UserView, 'id' | 'email' | 'name'>;

/** A member and their role in the organization. */
export type Member = Pick<Membership, 'userId' | 'role'>;

/** An organization as one of its members sees it, with its creation time. */
export type OrganizationDetails = MemberOrganization & { createdAt: Date };

/** A member as the other members see them. */
export interface MemberProfile {
  userId: string;
  name: string | null;
  email: string;
  role: OrgRole;
  joinedAt: Date;
  /** Whether the member has a second factor (TOTP or a passkey), as the organization's MFA rule asks. */
  mfaEnabled: boolean;
}

/** An organization's security policy. */
export interface OrganizationPolicy {
  requireMfa: boolean;
}

/** What syncMembership did: the role before (null: not a member) and after. */
export interface MembershipSync {
  from: OrgRole | null;
  to: OrgRole;
  /** Set when the asked role was not applied, and why. */
  kept?: 'last_owner';
}

/** A document with the name of its author, or DELETED_AUTHOR once they are gone. */
export interface AuthoredDocument {
  id: string;
  title: string;
  body: string;
  authorId: string | null;
  authorName: string;
  createdAt: Date;
}

/**
 * Organizations, memberships and documents. Every lookup is made with the caller's membership, so
 * an organization the caller is not in answers 404 whether or not it exists.
 */
@Injectable()
export class OrganizationsService {
  constructor(
    private readonly txHost: TransactionHost,
    private readonly orgs: OrganizationsRepository,
    private readonly clock: Clock,
    private readonly users: UsersService,
    private readonly events: DomainEvents,
    private readonly audit: AuditService,
    private readonly invitations: InvitationsService,
    private readonly webhooks: WebhooksService,
  ) {}

  @Transactional()
  async create(actor: Actor, name: string, client: ClientInfo): Promise<MemberOrganization> {
    const now = this.clock.now();
    const id = await this.orgs.createOrganization(name, now);
    await this.orgs.addMember({ orgId: id, userId: actor.id, role: 'owner', createdAt: now });
    await this.webhooks.emit('org.member_added', { orgId: id, userId: actor.id, role: 'owner' });
    await this.audit.record({ action: 'org.created', actor, client, target: `org:${id}` });
    return { id, name, role: 'owner' };
  }

  list(userId: string): Promise<MemberOrganization[]> {
    return this.orgs.listForMember(userId);
  }

  /** The organization as the member sees it; not_found for anyone else. */
  async get(userId: string, orgId: string): Promise<OrganizationDetails> {
    const org = await this.orgs.organizationFor(orgId, userId);
    if (!org) throw new DomainError('not_found');
    return org;
  }

  /** Owners rename (after a step-up, which the route asks for). */
  @Transactional()
  async rename(actor: Actor, orgId: string, name: string, client: ClientInfo): Promise<OrganizationDetails> {
    await this.lockMemberships(orgId);
    const org = await this.get(actor.id, orgId);
    if (org.role !== 'owner') throw new DomainError('insufficient_role');
    await this.orgs.renameOrganization(orgId, name);
    await this.audit.record({
      action: 'org.renamed',
      actor,
      client,
      target: `org:${orgId}`,
      details: { from: org.name, to: name },
    });
    return { ...org, name };
  }

  /** The organization's security policy, for any member. */
  async policy(userId: string, orgId: string): Promise<OrganizationPolicy> {
    await this.roleOf(orgId, userId);
    const policy = await this.orgs.policyOf(orgId);
    if (!policy) throw new DomainError('not_found');
    return policy;
  }

  /**
   * Owners set the security policy (after a step-up, which the route asks for). Turning MFA on needs
   * a second factor of the owner's own (409 mfa_enrollment_required), so that the rule never locks
   * out the one who set it; turning it off needs none, so an owner who lost theirs can lift it.
   */
  @Transactional()
  async setPolicy(
    actor: Actor,
    orgId: string,
    policy: OrganizationPolicy,
    client: ClientInfo,
  ): Promise<OrganizationPolicy> {
    await this.lockMemberships(orgId);
    await this.roleOf(orgId, actor.id, ['owner']);
    const before = await this.orgs.policyOf(orgId);
    if (!before) throw new DomainError('not_found');
    if (policy.requireMfa && !before.requireMfa) {
      // As the account is now, not as the request's session saw it.
      const account = await this.users.findById(actor.id);
      if (!account || !hasSecondFactor(account)) throw mfaEnrollmentRequired(409);
    }
    if (policy.requireMfa !== before.requireMfa) {
      await this.orgs.setRequireMfa(orgId, policy.requireMfa);
      await this.audit.record({
        action: 'org.policy_changed',
        actor,
        client,
        target: `org:${orgId}`,
        details: { requireMfa: policy.requireMfa },
      });
    }
    return { requireMfa: policy.requireMfa };
  }

  /**
   * Whether the organization's MFA rule applies to this user: it requires MFA and they are a member
   * (for anyone else the route answers not_found, whatever the rule). One query.
   */
  requiresMfaOf(orgId: string, userId: string): Promise<boolean> {
    return this.orgs.requiresMfaOf(orgId, userId);
  }

  /**
   * Owners delete the organization with everything in it: memberships, invitations, documents, and
   * what other modules keep for it (org.deleting: its SAML provider, whose accounts stay, untied).
   */
  @Transactional()
  async delete(actor: Actor, orgId: string, client: ClientInfo): Promise<void> {
    await this.lockMemberships(orgId);
    await this.roleOf(orgId, actor.id, ['owner']);
    // The product hears that every member left: there is no event for the organization itself.
    for (const member of await this.orgs.listMembers(orgId)) {
      await this.webhooks.emit('org.member_removed', { orgId, userId: member.userId });
    }
    await this.events.emit('org.deleting', { orgIds: [orgId] });
    await this.orgs.deleteOrganizations([orgId]);
    await this.audit.record({ action: 'org.deleted', actor, client, target: `org:${orgId}` });
  }

  /** The organization's name, or undefined when there is no such organization. */
  nameOf(orgId: string): Promise<string | undefined> {
    return this.orgs.organizationName(orgId);
  }

  /**
   * The organization's name and its members with their address and role, longest-standing first,
   * for another module's rule (no one's access is checked); undefined when it does not exist.
   */
  async membersFor(orgId: string): Promise<{ name: string; members: MemberProfile[] } | undefined> {
    const name = await this.orgs.organizationName(orgId);
    if (name === undefined) return undefined;
    const members = await this.orgs.listMembers(orgId);
    const users = new Map((await this.users.findByIds(members.map((m) => m.userId))).map((u) => [u.id, u]));
    return {
      name,
      members: members.flatMap((m) => {
        const user = users.get(m.userId);
        return user
          ? [
              {
                userId: m.userId,
                name: user.name,
                email: user.email,
                role: m.role,
                joinedAt: m.createdAt,
                mfaEnabled: hasSecondFactor(user),
              },
            ]
          : [];
      }),
    };
  }

  /** Every member with their name and address, longest-standing first; for members only. */
  async listMembers(userId: string, orgId: string): Promise<MemberProfile[]> {
    await this.roleOf(orgId, userId);
    const members = await this.orgs.listMembers(orgId);
    const users = new Map((await this.users.findByIds(members.map((m) => m.userId))).map((u) => [u.id, u]));
    return members.flatMap((m) => {
      const user = users.get(m.userId);
      return user
        ? [
            {
              userId: m.userId,
              name: user.name,
              email: user.email,
              role: m.role,
              joinedAt: m.createdAt,
              mfaEnabled: hasSecondFactor(user),
            },
          ]
        : [];
    });
  }

  @Transactional()
  async changeRole(actor: Actor, orgId: string, userId: string, role: OrgRole, client: ClientInfo): Promise<Member> {
    await this.lockMemberships(orgId);
    const actorRole = await this.roleOf(orgId, actor.id, MANAGERS);
    const current = await this.roleOf(orgId, userId);
    if ((role === 'owner' || current === 'owner') && actorRole !== 'owner') throw new DomainError('insufficient_role');
    if (current === 'owner' && role !== 'owner') await this.assertAnotherOwner(orgId);
    await this.orgs.setRole(orgId, userId, role);
    if (role !== current) await this.webhooks.emit('org.member_role_changed', { orgId, userId, role });
    // Someone else changed this member's privileges: each of their sessions gets a new token on its next request.
    if (userId !== actor.id && role !== current) {
      await this.events.emit('org.member_role_changed', { userId, orgId });
    }
    if (current === 'owner' && role !== 'owner') {
      await this.events.emit('org.owner_stepped_down', { userId, orgId, client });
    }
    await this.invitations.withdrawSentBy(actor, orgId, userId, role, client);
    await this.audit.record({
      action: 'org.role_changed',
      actor,
      client,
      target: `org:${orgId}`,
      details: { userId, from: current, to: role },
    });
    return { userId, role };
  }

  /**
   * Membership as an identity provider asserts it (SSO sign-in): adds the user with `role`, or sets
   * their role to it. A changed role rotates the member's sessions (org.member_role_changed). The
   * last owner stays owner whatever the IdP says, so the organization keeps someone who can manage
   * it: the answer then has `kept: 'last_owner'` and `to: 'owner'`.
   */
  @Transactional()
  async syncMembership(orgId: string, userId: string, role: OrgRole): Promise<MembershipSync> {
    await this.lockMemberships(orgId);
    const current = (await this.orgs.roleOf(orgId, userId)) ?? null;
    if (current === null) {
      await this.orgs.addMember({ orgId, userId, role, createdAt: this.clock.now() });
      await this.webhooks.emit('org.member_added', { orgId, userId, role });
      return { from: null, to: role };
    }
    if (current === role) return { from: current, to: role };
    if (current === 'owner' && (await this.orgs.countOwners(orgId)) <= 1) {
      return { from: current, to: current, kept: 'last_owner' };
    }
    await this.orgs.setRole(orgId, userId, role);
    await this.webhooks.emit('org.member_role_changed', { orgId, userId, role });
    await this.events.emit('org.member_role_changed', { userId, orgId });
    if (current === 'owner') await this.events.emit('org.owner_stepped_down', { userId, orgId });
    await this.invitations.withdrawSentBy({ id: null, email: null }, orgId, userId, role);
    return { from: current, to: role };
  }

  /** Managers remove others (only an owner removes an owner); anyone may leave. */
  @Transactional()
  async removeMember(actor: Actor, orgId: string, userId: string, client: ClientInfo): Promise<void> {
    await this.lockMemberships(orgId);
    const actorRole = await this.roleOf(orgId, actor.id);
    const current = userId === actor.id ? actorRole : await this.roleOf(orgId, userId);
    if (userId !== actor.id) {
      if (!MANAGERS.includes(actorRole)) throw new DomainError('insufficient_role');
      if (current === 'owner' && actorRole !== 'owner') throw new DomainError('insufficient_role');
    }
    if (current === 'owner') await this.assertAnotherOwner(orgId);
    await this.orgs.removeMember(orgId, userId);
    await this.webhooks.emit('org.member_removed', { orgId, userId });
    if (current === 'owner') await this.events.emit('org.owner_stepped_down', { userId, orgId, client });
    await this.invitations.withdrawSentBy(actor, orgId, userId, null, client);
    await this.audit.record({
      action: 'org.member_removed',
      actor,
      client,
      target: `org:${orgId}`,
      details: { userId },
    });
  }

  /**
   * The organization's directory (SCIM) removes the member: false when they were not one. The last
   * owner is never removed (last_owner), as when a person removes them.
   */
  @Transactional()
  async removeByDirectory(orgId: string, userId: string): Promise<boolean> {
    await this.lockMemberships(orgId);
    const current = await this.orgs.roleOf(orgId, userId);
    if (!current) return false;
    if (current === 'owner') await this.assertAnotherOwner(orgId);
    await this.orgs.removeMember(orgId, userId);
    if (current === 'owner') await this.events.emit('org.owner_stepped_down', { userId, orgId });
    await this.invitations.withdrawSentBy({ id: null, email: null }, orgId, userId, null);
    return true;
  }

  async createDocument(actor: Actor, orgId: string, title: string, body: string): Promise<AuthoredDocument> {
    await this.roleOf(orgId, actor.id);
    const createdAt = this.clock.now();
    const id = await this.orgs.createDocument({ orgId, authorId: actor.id, title, body, createdAt });
    return {
      id,
      title,
      body,
      authorId: actor.id,
      authorName: actor.name ?? actor.email,
      createdAt,
    };
  }

  async listDocuments(userId: string, orgId: string): Promise<AuthoredDocument[]> {
    await this.roleOf(orgId, userId);
    const documents = await this.orgs.listDocuments(orgId);
    const authorIds = [...new Set(documents.map((d) => d.authorId).filter((id): id is string => id !== null))];
    const authors = new Map((await this.users.findByIds(authorIds)).map((u) => [u.id, u.name ?? u.email]));
    return documents.map((d) => ({
      id: d.id,
      title: d.title,
      body: d.body,
      authorId: d.authorId,
      authorName: (d.authorId && authors.get(d.authorId)) || DELETED_AUTHOR,
      createdAt: d.createdAt,
    }));
  }

  /**
   * Deletes organizations left with no member (among `orgIds`, or all), with everything in them;
   * answers how many. Each batch runs in a transaction (the caller's, if any) that locks its
   * organizations and tells the other modules first (org.deleting).
   */
  async deleteMemberless(orgIds?: string[]): Promise<number> {
    let deleted = 0;
    for (;;) {
      const count = await this.deleteMemberlessBatch(orgIds ?? null);
      deleted += count;
      if (count < BATCH_SIZE) return deleted;
    }
  }

  @Transactional()
  private async deleteMemberlessBatch(orgIds: string[] | null): Promise<number> {
    const batch = await this.orgs.lockMemberless(orgIds, BATCH_SIZE);
    if (batch.length === 0) return 0;
    await this.events.emit('org.deleting', { orgIds: batch });
    return this.orgs.deleteOrganizations(batch);
  }

  /**
   * For other modules' routes on an organization: the caller's role when it is one of `roles`;
   * not_found when they are not a member (whether or not the organization exists), else insufficient_role.
   */
  requireRole(orgId: string, userId: string, roles: readonly OrgRole[]): Promise<OrgRole> {
    return this.roleOf(orgId, userId, roles);
  }

  /** The user's role in the organization; undefined when they are not a member. */
  roleIn(orgId: string, userId: string): Promise<OrgRole | undefined> {
    return this.orgs.roleOf(orgId, userId);
  }

  /** The member's role; not_found when they are not a member, insufficient_role when it is not one of `allowed`. */
  private async roleOf(orgId: string, userId: string, allowed?: readonly OrgRole[]): Promise<OrgRole> {
    const role = await this.orgs.roleOf(orgId, userId);
    if (!role) throw new DomainError('not_found');
    if (allowed && !allowed.includes(role)) throw new DomainError('insufficient_role');
    return role;
  }

  /**
   * Serialises membership changes of one organization (in the caller's transaction), so two
   * demotions cannot both pass the owner check. A caller that writes rows of the organization's
   * before changing memberships (a SCIM directory) takes it first: taken after, two such
   * transactions each hold a key-share lock on the organization and deadlock upgrading it.
   */
  async lockMemberships(orgId: string): Promise<void> {
    await this.orgs.lockOrganization(orgId);
  }

  private async assertAnotherOwner(orgId: string): Promise<void> {
    const owners = await this.orgs.countOwners(orgId);
    if (owners <= 1) throw new DomainError('last_owner');
  }
}
