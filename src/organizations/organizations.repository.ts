import { Injectable } from '@nestjs/common';
import { isUniqueViolation } from '../common/database-errors';
import { Sql } from '../database';
import { deleteInBatches } from '../tasks';
import { hashToken } from '../common/crypto';
import { Document, Invitation, Membership } from './organization.entity';
import type { OrgRole } from './organization.entity';

/** An organization as one of its members sees it. */
export interface MemberOrganization {
  id: string;
  name: string;
  role: OrgRole;
}

export type NewMembership = Pick<Membership, 'orgId' | 'userId' | 'role' | 'createdAt'>;
export type NewInvitation = Pick<
  Invitation,
  'orgId' | 'email' | 'role' | 'tokenHash' | 'invitedBy' | 'createdAt' | 'expiresAt'
>;

/** An invitation as its organization's managers see it. */
export type PendingInvitation = Pick<Invitation, 'id' | 'email' | 'role' | 'invitedBy' | 'createdAt' | 'expiresAt'>;

export type NewDocument = Pick<Document, 'orgId' | 'authorId' | 'title' | 'body' | 'createdAt'>;

/** Every column of a document row, under the entity's field names. */
const DOCUMENT_COLUMNS = `id, org_id AS "orgId", author_id AS "authorId", title, body, created_at AS "createdAt"`;

/** Organizations, their memberships and their documents. */
@Injectable()
export class OrganizationsRepository {
  constructor(private readonly sql: Sql) {}

  /** Answers the new organization's id. */
  async createOrganization(name: string, createdAt: Date): Promise<string> {
    const row = await this.sql.one<{ id: string }>(
      'INSERT INTO organizations (name, created_at) VALUES ($1, $2) RETURNING id',
      [name, createdAt],
    );
    return row!.id;
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

  /**
   * Whether the organization requires MFA of this user: false when it does not, or when the user is
   * not a member (their request then answers not_found, whatever the rule).
   */
  async requiresMfaOf(orgId: string, userId: string): Promise<boolean> {
    const row = await this.sql.one<{ require_mfa: boolean }>(
      `SELECT o.require_mfa FROM organizations o JOIN org_members m ON m.org_id = o.id AND m.user_id = $2
        WHERE o.id = $1`,
      [orgId, userId],
    );
    return row?.require_mfa === true;
  }

  /** The organization's security policy; undefined when it does not exist. */
  async policyOf(orgId: string): Promise<{ requireMfa: boolean } | undefined> {
    return this.sql.one<{ requireMfa: boolean }>(
      'SELECT require_mfa AS "requireMfa" FROM organizations WHERE id = $1',
      [orgId],
    );
  }

  async setRequireMfa(orgId: string, requireMfa: boolean): Promise<void> {
    await this.sql.count('UPDATE organizations SET require_mfa = $2 WHERE id = $1', [orgId, requireMfa]);
  }

  /** The user's role in the organization; undefined when they are not a member. */
  async roleOf(orgId: string, userId: string): Promise<OrgRole | undefined> {
    const row = await this.sql.one<{ role: OrgRole }>(
      'SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2',
      [orgId, userId],
    );
    return row?.role;
  }

  /** False when the user is a member already. */
  async addMember(membership: NewMembership): Promise<boolean> {
    try {
      await this.sql.count('INSERT INTO org_members (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)', [
        membership.orgId,
        membership.userId,
        membership.role,
        membership.createdAt,
      ]);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async setRole(orgId: string, userId: string, role: OrgRole): Promise<void> {
    await this.sql.count('UPDATE org_members SET role = $3 WHERE org_id = $1 AND user_id = $2', [orgId, userId, role]);
  }

  async removeMember(orgId: string, userId: string): Promise<void> {
    await this.sql.count('DELETE FROM org_members WHERE org_id = $1 AND user_id = $2', [orgId, userId]);
  }

  async countOwners(orgId: string): Promise<number> {
    const row = await this.sql.one<{ n: number }>(
      `SELECT count(*)::int AS n FROM org_members WHERE org_id = $1 AND role = 'owner'`,
      [orgId],
    );
    return row!.n;
  }

  /** Answers the new document's id. */
  async createDocument(document: NewDocument): Promise<string> {
    const row = await this.sql.one<{ id: string }>(
      `INSERT INTO documents (org_id, author_id, title, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [document.orgId, document.authorId, document.title, document.body, document.createdAt],
    );
    return row!.id;
  }

  /** The organization's documents, newest first. */
  listDocuments(orgId: string): Promise<Document[]> {
    return this.sql.rows<Document>(
      `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE org_id = $1 ORDER BY created_at DESC, id ASC`,
      [orgId],
    );
  }

  /** The memberships of these users, their organizations locked (in id order) until the transaction ends. */
  lockMembershipsOf(
    userIds: string[],
  ): Promise<Array<{ orgId: string; orgName: string; userId: string; role: OrgRole }>> {
    return this.sql.rows(
      `SELECT o.id AS "orgId", o.name AS "orgName", m.user_id AS "userId", m.role
         FROM org_members m JOIN organizations o ON o.id = m.org_id
        WHERE m.user_id = ANY($1::uuid[]) ORDER BY o.id FOR UPDATE OF o`,
      [userIds],
    );
  }

  /**
   * Who inherits an organization whose last owners leave: none while another owner stays; else the
   * longest-standing admin, else the longest-standing member; undefined when nobody is left.
   */
  async successor(orgId: string, leaving: string[]): Promise<{ userId: string; role: OrgRole } | undefined> {
    const row = await this.sql.one<{ user_id: string; role: OrgRole }>(
      `SELECT user_id, role FROM org_members WHERE org_id = $1 AND user_id <> ALL($2::uuid[])
        ORDER BY CASE role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, created_at, user_id LIMIT 1`,
      [orgId, leaving],
    );
    return row && row.role !== 'owner' ? { userId: row.user_id, role: row.role } : undefined;
  }

  /** Documents of these authors stay with their organization, authorless. */
  async forgetAuthors(userIds: string[]): Promise<void> {
    await this.sql.count('UPDATE documents SET author_id = NULL WHERE author_id = ANY($1::uuid[])', [userIds]);
  }

  async removeMemberships(userIds: string[]): Promise<void> {
    await this.sql.count('DELETE FROM org_members WHERE user_id = ANY($1::uuid[])', [userIds]);
  }

  /**
   * Up to `limit` organizations with no member left, among `orgIds` or everywhere, locked until the
   * transaction ends (a member cannot be added meanwhile); rows another run holds are skipped.
   */
  async lockMemberless(orgIds: string[] | null, limit: number): Promise<string[]> {
    const rows = await this.sql.rows<{ id: string }>(
      `SELECT id FROM organizations o
        WHERE ($1::uuid[] IS NULL OR id = ANY($1::uuid[]))
          AND NOT EXISTS (SELECT 1 FROM org_members m WHERE m.org_id = o.id)
        ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [orgIds, limit],
    );
    return rows.map((row) => row.id);
  }

  /** Deletes these organizations (their documents go with them); answers how many. */
  deleteOrganizations(orgIds: string[]): Promise<number> {
    return this.sql.count('DELETE FROM organizations WHERE id = ANY($1::uuid[])', [orgIds]);
  }

  /** The user's memberships, for the export. */
  membershipsOf(userId: string): Promise<Array<{ orgId: string; name: string; role: OrgRole; joinedAt: Date }>> {
    return this.sql.rows(
      `SELECT o.id AS "orgId", o.name, m.role, m.created_at AS "joinedAt"
         FROM org_members m JOIN organizations o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY m.created_at`,
      [userId],
    );
  }

  /** The documents the user wrote, for the export. */
  documentsBy(userId: string): Promise<Document[]> {
    return this.sql.rows<Document>(
      `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE author_id = $1 ORDER BY created_at ASC, id ASC`,
      [userId],
    );
  }

  /** The organization as the member sees it; undefined when they are not a member (or it does not exist). */
  async organizationFor(
    orgId: string,
    userId: string,
  ): Promise<(MemberOrganization & { createdAt: Date }) | undefined> {
    return this.sql.one(
      `SELECT o.id, o.name, m.role, o.created_at AS "createdAt"
         FROM org_members m JOIN organizations o ON o.id = m.org_id WHERE m.org_id = $1 AND m.user_id = $2`,
      [orgId, userId],
    );
  }

  /** The memberships of the organization, longest-standing first. */
  listMembers(orgId: string): Promise<Array<Pick<Membership, 'userId' | 'role' | 'createdAt'>>> {
    return this.sql.rows(
      `SELECT user_id AS "userId", role, created_at AS "createdAt" FROM org_members
        WHERE org_id = $1 ORDER BY created_at ASC, user_id ASC`,
      [orgId],
    );
  }

  async organizationName(orgId: string): Promise<string | undefined> {
    return (await this.sql.one<{ name: string }>('SELECT name FROM organizations WHERE id = $1', [orgId]))?.name;
  }

  async renameOrganization(orgId: string, name: string): Promise<void> {
    await this.sql.count('UPDATE organizations SET name = $2 WHERE id = $1', [orgId, name]);
  }

  /**
   * Creates the invitation, or replaces the pending one for the same organization and address (new
   * token, role, inviter and expiry: the earlier link dies). Answers its id.
   */
  async upsertInvitation(invitation: NewInvitation): Promise<string> {
    const row = await this.sql.one<{ id: string }>(
      `INSERT INTO org_invitations (org_id, email, role, token_hash, invited_by, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (org_id, email) DO UPDATE SET role = EXCLUDED.role, token_hash = EXCLUDED.token_hash,
         invited_by = EXCLUDED.invited_by, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
       RETURNING id`,
      [
        invitation.orgId,
        invitation.email,
        invitation.role,
        invitation.tokenHash,
        invitation.invitedBy,
        invitation.createdAt,
        invitation.expiresAt,
      ],
    );
    return row!.id;
  }

  /** The organization's invitations not yet expired, newest first. */
  pendingInvitations(orgId: string, now: Date): Promise<PendingInvitation[]> {
    return this.sql.rows<PendingInvitation>(
      `SELECT id, email, role, invited_by AS "invitedBy", created_at AS "createdAt", expires_at AS "expiresAt"
         FROM org_invitations WHERE org_id = $1 AND expires_at > $2 ORDER BY created_at DESC, id`,
      [orgId, now],
    );
  }

  /** The organization's invitation, pending or expired; undefined when it has none of this id. */
  findInvitation(orgId: string, invitationId: string): Promise<Pick<Invitation, 'id' | 'email' | 'role'> | undefined> {
    return this.sql.one('SELECT id, email, role FROM org_invitations WHERE id = $1 AND org_id = $2', [
      invitationId,
      orgId,
    ]);
  }

  /** False when the organization has no such invitation. */
  async deleteInvitation(orgId: string, invitationId: string): Promise<boolean> {
    return (
      (await this.sql.count('DELETE FROM org_invitations WHERE id = $1 AND org_id = $2', [invitationId, orgId])) > 0
    );
  }

  /** The live invitation the token stands for (not expired, not taken); undefined otherwise. */
  liveInvitation(token: string, now: Date): Promise<Pick<Invitation, 'id' | 'orgId' | 'email' | 'role'> | undefined> {
    return this.sql.one(
      `SELECT id, org_id AS "orgId", email, role FROM org_invitations WHERE token_hash = $1 AND expires_at > $2`,
      [hashToken(token), now],
    );
  }

  /**
   * Takes the invitation in one statement, so of two concurrent acceptances one wins; false when it
   * is gone, expired, or no longer carries this token (a newer invitation replaced it).
   */
  async takeInvitation(id: string, token: string, now: Date): Promise<boolean> {
    const taken = await this.sql.count(
      'DELETE FROM org_invitations WHERE id = $1 AND token_hash = $2 AND expires_at > $3',
      [id, hashToken(token), now],
    );
    return taken > 0;
  }

  /**
   * Invitations sent to these addresses, or to an address whose hash is among `addressHashes`
   * (one the account had before), go; those these users sent stay, without their inviter.
   */
  async forgetInvitations(userIds: string[], emails: string[], addressHashes: Buffer[]): Promise<void> {
    await this.sql.count(
      'DELETE FROM org_invitations WHERE email = ANY($1::text[]) OR address_sha256(email) = ANY($2::bytea[])',
      [emails, addressHashes],
    );
    await this.sql.count('UPDATE org_invitations SET invited_by = NULL WHERE invited_by = ANY($1::uuid[])', [userIds]);
  }

  /**
   * Deletes the organization's pending invitations sent by `inviterId` to one of `roles`; answers
   * them. Expired ones are left to the purge task.
   */
  deleteInvitationsBy(
    orgId: string,
    inviterId: string,
    roles: OrgRole[],
    now: Date,
  ): Promise<Array<Pick<Invitation, 'id' | 'email' | 'role'>>> {
    return this.sql.rows(
      `DELETE FROM org_invitations
        WHERE org_id = $1 AND invited_by = $2 AND role = ANY($3::text[]) AND expires_at > $4
        RETURNING id, email, role`,
      [orgId, inviterId, roles, now],
    );
  }

  /** Deletes invitations past their expiry, in batches; answers how many. */
  deleteExpiredInvitations(now: Date): Promise<number> {
    return deleteInBatches(this.sql, 'org_invitations', 'expires_at <= $1', [now]);
  }

  /** Invitations to the user's address, for the export. */
  invitationsTo(email: string): Promise<Array<{ orgId: string; role: OrgRole; createdAt: Date; expiresAt: Date }>> {
    return this.sql.rows(
      `SELECT org_id AS "orgId", role, created_at AS "createdAt", expires_at AS "expiresAt"
         FROM org_invitations WHERE email = $1 ORDER BY created_at`,
      [email],
    );
  }

  /** Invitations the user sent, for the export. */
  invitationsBy(userId: string): Promise<Array<{ orgId: string; email: string; role: OrgRole; createdAt: Date }>> {
    return this.sql.rows(
      `SELECT org_id AS "orgId", email, role, created_at AS "createdAt"
         FROM org_invitations WHERE invited_by = $1 ORDER BY created_at`,
      [userId],
    );
  }
}
