import { Injectable } from '@nestjs/common';
import { isUniqueViolation } from '../common/database-errors';
import { Sql } from '../database';
import { Document, Membership, Organization } from './organization.entity';
import type { OrgRole } from './organization.entity';

/** An organization as one of its members sees it. */
export interface MemberOrganization {
  id: string;
  name: string;
  role: OrgRole;
}

export type NewMembership = Pick<Membership, 'orgId' | 'userId' | 'role' | 'createdAt'>;
export type NewDocument = Pick<Document, 'orgId' | 'authorId' | 'title' | 'body' | 'createdAt'>;

/** Organizations, their memberships and their documents. */
@Injectable()
export class OrganizationsRepository {
  constructor(private readonly sql: Sql) {}

  private get members() {
    return this.sql.repository(Membership);
  }

  /** Answers the new organization's id. */
  async createOrganization(name: string, createdAt: Date): Promise<string> {
    const { identifiers } = await this.sql.repository(Organization).insert({ name, createdAt });
    return identifiers[0].id as string;
  }

  /** The organizations the user belongs to, oldest first, with the user's role in each. */
  listForMember(userId: string): Promise<MemberOrganization[]> {
    return this.sql.rows<MemberOrganization>(
      `SELECT o.id, o.name, m.role FROM org_members m JOIN organizations o ON o.id = m.org_id
        WHERE m.user_id = $1 ORDER BY o.created_at, o.id`,
      [userId],
    );
  }

  /**
   * Locks the organization's row until the transaction ends, so membership changes of one
   * organization run one after the other.
   */
  async lockOrganization(orgId: string): Promise<void> {
    await this.sql.rows('SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE', [orgId]);
  }

  /** The user's role in the organization; undefined when they are not a member. */
  async roleOf(orgId: string, userId: string): Promise<OrgRole | undefined> {
    return (await this.members.findOneBy({ orgId, userId }))?.role;
  }

  /** False when the user is a member already. */
  async addMember(membership: NewMembership): Promise<boolean> {
    try {
      await this.members.insert(membership);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async setRole(orgId: string, userId: string, role: OrgRole): Promise<void> {
    await this.members.update({ orgId, userId }, { role });
  }

  async removeMember(orgId: string, userId: string): Promise<void> {
    await this.members.delete({ orgId, userId });
  }

  countOwners(orgId: string): Promise<number> {
    return this.members.countBy({ orgId, role: 'owner' });
  }

  /** Answers the new document's id. */
  async createDocument(document: NewDocument): Promise<string> {
    const { identifiers } = await this.sql.repository(Document).insert(document);
    return identifiers[0].id as string;
  }

  /** The organization's documents, newest first. */
  listDocuments(orgId: string): Promise<Document[]> {
    return this.sql.repository(Document).find({ where: { orgId }, order: { createdAt: 'DESC', id: 'ASC' } });
  }
}
