import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity('users')
@Index('users_never_verified_created_at_idx', ['createdAt'], { where: 'NOT ever_verified' })
@Index('users_deletion_scheduled_for_idx', ['deletionScheduledFor'], { where: 'deletion_scheduled_for IS NOT NULL' })
/** An account's way back is its own: no other account takes that address while the change is pending. */
@Index('users_previous_email_key', ['previousEmail'], { unique: true, where: 'previous_email IS NOT NULL' })
@Index('users_email_changed_at_idx', ['emailChangedAt'], { where: 'previous_email IS NOT NULL' })
// Operators' listing: newest first, keyset-paged.
@Index('users_created_at_id_idx', ['createdAt', 'id'])
// Operators' search by address prefix (LIKE 'prefix%'): varchar_pattern_ops, made by its migration, which TypeORM cannot express.
@Index('users_email_prefix_idx', { synchronize: false })
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

  /**
   * While an email change waits for its link: the verified address the account moved from, which it
   * returns to when someone registers the new address or the change is not verified in time. NULL
   * otherwise (and for changes made by an account that had verified no address).
   */
  @Column({ name: 'previous_email', type: 'varchar', length: 320, nullable: true })
  previousEmail: string | null;

  /** When the pending change (previousEmail) was made. */
  @Column({ name: 'email_changed_at', type: 'timestamptz', nullable: true })
  emailChangedAt: Date | null;

  @Column({ name: 'two_factor_enabled', type: 'boolean', default: false })
  twoFactorEnabled: boolean;

  /** Kept by the passkeys module: whether the account has at least one passkey. */
  @Column({ name: 'has_passkey', type: 'boolean', default: false })
  hasPasskey: boolean;

  @Column({ name: 'sso_provider_id', type: 'uuid', nullable: true })
  ssoProviderId: string | null;

  /** Set while an operator has locked the account (admin API): no sign-in of any kind. */
  @Column({ name: 'locked_at', type: 'timestamptz', nullable: true })
  lockedAt: Date | null;

  @Column({ name: 'lock_reason', type: 'varchar', length: 500, nullable: true })
  lockReason: string | null;

  /** Set while an organization's directory (SCIM `active: false`) has deactivated the account. */
  @Column({ name: 'suspended_at', type: 'timestamptz', nullable: true })
  suspendedAt: Date | null;

  /** The organization whose directory suspended the account: only it reactivates it. */
  @Column({ name: 'suspended_by_org_id', type: 'uuid', nullable: true })
  suspendedByOrgId: string | null;

  @Column({ name: 'deletion_scheduled_for', type: 'timestamptz', nullable: true })
  deletionScheduledFor: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
