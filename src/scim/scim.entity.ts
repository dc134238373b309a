import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { OrganizationReference } from '../organizations/organization-reference';
import { UserReference } from '../users/user-reference';

/**
 * A bearer token an organization's identity provider provisions with (`scim_…`). Only its SHA-256 is
 * kept; it names the organization, so every SCIM request is scoped to that organization's directory.
 */
@Entity('scim_tokens')
@Index('scim_tokens_org_id_idx', ['orgId'])
export class ScimToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @OrganizationReference()
  organization?: unknown;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'token_hash', type: 'bytea', unique: true })
  tokenHash: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;
}

/**
 * An account as one organization's directory provisioned it: the SCIM id (this row's id) and the
 * IdP's externalId name the account in that organization only. `active` is what the directory said
 * last (false: the account is suspended by this organization).
 */
@Entity('scim_users')
@Index('scim_users_org_user_idx', ['orgId', 'userId'], { unique: true })
@Index('scim_users_org_external_id_idx', ['orgId', 'externalId'], {
  unique: true,
  where: 'external_id IS NOT NULL',
})
@Index('scim_users_user_id_idx', ['userId'])
export class ScimUser {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @OrganizationReference()
  organization?: unknown;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @UserReference()
  user?: unknown;

  @Column({ name: 'external_id', type: 'varchar', length: 256, nullable: true })
  externalId: string | null;

  @Column({ name: 'given_name', type: 'varchar', length: 200, nullable: true })
  givenName: string | null;

  @Column({ name: 'family_name', type: 'varchar', length: 200, nullable: true })
  familyName: string | null;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** A group of an organization's directory; its displayName is what the connection's groupRoleMap maps. */
@Entity('scim_groups')
@Index('scim_groups_org_name_idx', ['orgId', 'displayName'], { unique: true })
export class ScimGroup {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @OrganizationReference()
  organization?: unknown;

  @Column({ name: 'display_name', type: 'varchar', length: 256 })
  displayName: string;

  @Column({ name: 'external_id', type: 'varchar', length: 256, nullable: true })
  externalId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** A provisioned user in a group (both of one organization). */
@Entity('scim_group_members')
@Index('scim_group_members_user_idx', ['scimUserId'])
export class ScimGroupMember {
  @PrimaryColumn({ name: 'group_id', type: 'uuid' })
  groupId: string;

  @ManyToOne(() => ScimGroup, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'group_id' })
  group?: ScimGroup;

  @PrimaryColumn({ name: 'scim_user_id', type: 'uuid' })
  scimUserId: string;

  @ManyToOne(() => ScimUser, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'scim_user_id' })
  user?: ScimUser;
}
