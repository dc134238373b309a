import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { UserReference } from '../users/user-reference';

export type OrgRole = 'owner' | 'admin' | 'member';
export const ORG_ROLES: OrgRole[] = ['owner', 'admin', 'member'];

/** The roles that manage an organization: its members' roles and its invitations. */
export const MANAGERS: readonly OrgRole[] = ['owner', 'admin'];

/** Whether a member with role `inviter` (null: not a member) may invite to `role`: only owners invite owners. */
export function mayInvite(inviter: OrgRole | null, role: OrgRole): boolean {
  return inviter !== null && MANAGERS.includes(inviter) && (role !== 'owner' || inviter === 'owner');
}

@Entity('organizations')
export class Organization {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /**
   * The security policy: members reach the organization's routes only with a second factor (TOTP or
   * a passkey) proved by their session, or with a session of the organization's own SSO connection.
   */
  @Column({ name: 'require_mfa', type: 'boolean', default: false })
  requireMfa: boolean;
}

/** The users relations below exist for their foreign keys; this module reads users through UsersService. */
@Entity('org_members')
@Index('org_members_user_id_idx', ['userId'])
export class Membership {
  @PrimaryColumn({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'org_id' })
  organization?: Organization;

  @UserReference()
  user?: unknown;

  @Column({ type: 'varchar', length: 16 })
  role: OrgRole;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** The organization's shared data. A deleted author leaves the document, authorless. */
@Entity('documents')
@Index('documents_org_id_created_at_idx', ['orgId', 'createdAt'])
export class Document {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'org_id' })
  organization?: Organization;

  @Column({ name: 'author_id', type: 'uuid', nullable: true })
  authorId: string | null;

  @UserReference('SET NULL', 'author_id')
  author?: unknown;

  @Column({ type: 'varchar', length: 200 })
  title: string;

  @Column({ type: 'text' })
  body: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/**
 * An invitation to join an organization, mailed to an address: whoever proves that address (a
 * signed-in user whose verified email it is) may take it, once. Only the token's SHA-256 is kept.
 * One per organization and address; inviting again replaces its token, role and expiry.
 */
@Entity('org_invitations')
@Index('org_invitations_org_id_email_key', ['orgId', 'email'], { unique: true })
@Index('org_invitations_email_idx', ['email'])
@Index('org_invitations_invited_by_idx', ['invitedBy'])
@Index('org_invitations_expires_at_idx', ['expiresAt'])
export class Invitation {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @ManyToOne(() => Organization, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'org_id' })
  organization?: Organization;

  /** The invited address, normalised as account addresses are. */
  @Column({ type: 'varchar', length: 320 })
  email: string;

  @Column({ type: 'varchar', length: 16 })
  role: OrgRole;

  /** SHA-256 of the token mailed; the token itself is never stored. */
  @Column({ name: 'token_hash', type: 'bytea', unique: true })
  tokenHash: Buffer;

  /** Who sent it; null once that account is erased. */
  @Column({ name: 'invited_by', type: 'uuid', nullable: true })
  invitedBy: string | null;

  @UserReference('SET NULL', 'invited_by')
  inviter?: unknown;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
