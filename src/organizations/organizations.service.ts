import { Injectable } from '@nestjs/common';
import { Transactional, TransactionHost } from '../database/transactions';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { isUniqueViolation } from '../common/database-errors';
import { DomainError } from '../common/errors';
import type { UserView } from '../users/user.dto';
import { SessionsService } from '../sessions/sessions.service';
import { UsersService } from '../users/users.service';
import { Document, Membership, Organization } from './organization.entity';
import type { OrgRole } from './organization.entity';
import { DocumentDto, MemberDto, OrganizationDto } from './organizations.dto';

export const DELETED_AUTHOR = 'Deleted user';

type Actor = Pick<UserView, 'id' | 'email' | 'name'>;

const MANAGERS: OrgRole[] = ['owner', 'admin'];

/**
 * Organizations, memberships and documents. Every lookup is made with the caller's membership, so
 * an organization the caller is not in answers 404 whether or not it exists.
 */
@Injectable()
export class OrganizationsService {
  constructor(
    private readonly txHost: TransactionHost,
    private readonly clock: Clock,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
  ) {}

  private get members() {
    return this.txHost.tx.getRepository(Membership);
  }

  @Transactional()
  async create(actor: Actor, name: string, client: ClientInfo): Promise<OrganizationDto> {
    const now = this.clock.now();
    const { identifiers } = await this.txHost.tx.getRepository(Organization).insert({ name, createdAt: now });
    const id = identifiers[0].id as string;
    await this.members.insert({ orgId: id, userId: actor.id, role: 'owner', createdAt: now });
    await this.audit.record({ action: 'org.created', actor, client, target: `org:${id}` });
    return { id, name, role: 'owner' };
  }

  async list(userId: string): Promise<OrganizationDto[]> {
    const rows: Array<{ id: string; name: string; role: OrgRole }> = await this.txHost.tx.query(
      `SELECT o.id, o.name, m.role FROM org_members m JOIN organizations o ON o.id = m.org_id
        WHERE m.user_id = $1 ORDER BY o.created_at, o.id`,
      [userId],
    );
    return rows;
  }

  @Transactional()
  async addMember(actor: Actor, orgId: string, email: string, role: OrgRole, client: ClientInfo): Promise<MemberDto> {
    const actorRole = await this.roleOf(orgId, actor.id, MANAGERS);
    if (role === 'owner' && actorRole !== 'owner') throw new DomainError('insufficient_role');
    const user = await this.users.findByEmail(email);
    if (!user) throw new DomainError('not_found', {}, { message: 'No account has this email.' });
    try {
      await this.members.insert({ orgId, userId: user.id, role, createdAt: this.clock.now() });
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('already_member');
      throw error;
    }
    await this.audit.record({
      action: 'org.member_added',
      actor,
      client,
      target: `org:${orgId}`,
      details: { userId: user.id, role },
    });
    return { userId: user.id, role };
  }

  @Transactional()
  async changeRole(actor: Actor, orgId: string, userId: string, role: OrgRole, client: ClientInfo): Promise<MemberDto> {
    await this.lock(orgId);
    const actorRole = await this.roleOf(orgId, actor.id, MANAGERS);
    const current = await this.roleOf(orgId, userId);
    if ((role === 'owner' || current === 'owner') && actorRole !== 'owner') throw new DomainError('insufficient_role');
    if (current === 'owner' && role !== 'owner') await this.assertAnotherOwner(orgId);
    await this.members.update({ orgId, userId }, { role });
    // Someone else changed this member's privileges: each of their sessions gets a new token on its next request.
    if (userId !== actor.id && role !== current) await this.sessions.requireRotation(userId);
    await this.audit.record({
      action: 'org.role_changed',
      actor,
      client,
      target: `org:${orgId}`,
      details: { userId, from: current, to: role },
    });
    return { userId, role };
  }

  /** Managers remove others (only an owner removes an owner); anyone may leave. */
  @Transactional()
  async removeMember(actor: Actor, orgId: string, userId: string, client: ClientInfo): Promise<void> {
    await this.lock(orgId);
    const actorRole = await this.roleOf(orgId, actor.id);
    const current = userId === actor.id ? actorRole : await this.roleOf(orgId, userId);
    if (userId !== actor.id) {
      if (!MANAGERS.includes(actorRole)) throw new DomainError('insufficient_role');
      if (current === 'owner' && actorRole !== 'owner') throw new DomainError('insufficient_role');
    }
    if (current === 'owner') await this.assertAnotherOwner(orgId);
    await this.members.delete({ orgId, userId });
    await this.audit.record({
      action: 'org.member_removed',
      actor,
      client,
      target: `org:${orgId}`,
      details: { userId },
    });
  }

  async createDocument(actor: Actor, orgId: string, title: string, body: string): Promise<DocumentDto> {
    await this.roleOf(orgId, actor.id);
    const createdAt = this.clock.now();
    const { identifiers } = await this.txHost.tx
      .getRepository(Document)
      .insert({ orgId, authorId: actor.id, title, body, createdAt });
    return {
      id: identifiers[0].id as string,
      title,
      body,
      authorId: actor.id,
      authorName: actor.name ?? actor.email,
      createdAt: createdAt.toISOString(),
    };
  }

  async listDocuments(userId: string, orgId: string): Promise<DocumentDto[]> {
    await this.roleOf(orgId, userId);
    const documents = await this.txHost.tx
      .getRepository(Document)
      .find({ where: { orgId }, order: { createdAt: 'DESC', id: 'ASC' } });
    const authorIds = [...new Set(documents.map((d) => d.authorId).filter((id): id is string => id !== null))];
    const authors = new Map((await this.users.findByIds(authorIds)).map((u) => [u.id, u.name ?? u.email]));
    return documents.map((d) => ({
      id: d.id,
      title: d.title,
      body: d.body,
      authorId: d.authorId,
      authorName: (d.authorId && authors.get(d.authorId)) || DELETED_AUTHOR,
      createdAt: d.createdAt.toISOString(),
    }));
  }

  /** The member's role; not_found when they are not a member, insufficient_role when it is not one of `allowed`. */
  private async roleOf(orgId: string, userId: string, allowed?: OrgRole[]): Promise<OrgRole> {
    const membership = await this.members.findOneBy({ orgId, userId });
    if (!membership) throw new DomainError('not_found');
    if (allowed && !allowed.includes(membership.role)) throw new DomainError('insufficient_role');
    return membership.role;
  }

  /** Serialises membership changes of one organization, so two demotions cannot both pass the owner check. */
  private async lock(orgId: string): Promise<void> {
    await this.txHost.tx.query('SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE', [orgId]);
  }

  private async assertAnotherOwner(orgId: string): Promise<void> {
    const owners = await this.members.countBy({ orgId, role: 'owner' });
    if (owners <= 1) throw new DomainError('last_owner');
  }
}
