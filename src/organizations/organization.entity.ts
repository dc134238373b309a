import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { UserReference } from '../users/user-reference';

export type OrgRole = 'owner' | 'admin' | 'member';
export const ORG_ROLES: OrgRole[] = ['owner', 'admin', 'member'];

@Entity('organizations')
export class Organization {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
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
