import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity('users')
@Index('users_never_verified_created_at_idx', ['createdAt'], { where: 'NOT ever_verified' })
@Index('users_deletion_scheduled_for_idx', ['deletionScheduledFor'], { where: 'deletion_scheduled_for IS NOT NULL' })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Trimmed and lower-cased, so uniqueness is case-insensitive. */
  @Column({ type: 'varchar', length: 320, unique: true })
  email: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  name: string | null;

  /** argon2id; NULL for accounts that sign in through SSO only. */
  @Column({ name: 'password_hash', type: 'varchar', length: 255, nullable: true })
  passwordHash: string | null;

  @Column({ name: 'email_verified_at', type: 'timestamptz', nullable: true })
  emailVerifiedAt: Date | null;

  /** Set by the first verification and never cleared: such an account is never cleaned up as stale. */
  @Column({ name: 'ever_verified', type: 'boolean', default: false })
  everVerified: boolean;

  @Column({ name: 'two_factor_enabled', type: 'boolean', default: false })
  twoFactorEnabled: boolean;

  @Column({ name: 'sso_provider_id', type: 'uuid', nullable: true })
  ssoProviderId: string | null;

  @Column({ name: 'deletion_scheduled_for', type: 'timestamptz', nullable: true })
  deletionScheduledFor: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
