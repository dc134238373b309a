import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { UserReference } from '../users/user-reference';

/** How the session's user signed in: a password, a SAML assertion, a passkey, or a link or code mailed to their address. */
export type AuthMethod = 'password' | 'saml' | 'oidc' | 'passkey' | 'email';

@Entity('sessions')
@Index('sessions_user_id_idx', ['userId'])
/** A user's live sessions, newest first: the per-user cap and the listing read only these. */
@Index('sessions_live_user_created_idx', ['userId', 'createdAt'], { where: 'revoked_at IS NULL' })
@Index('sessions_expires_at_idx', ['expiresAt'])
/** The token a rotation replaced: it still works briefly, then answers `reason: rotated`. */
@Index('sessions_previous_token_hash_idx', ['previousTokenHash'], { where: 'previous_token_hash IS NOT NULL' })
export class Session {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @UserReference()
  user?: unknown;

  /** SHA-256 of the token; the token itself is never stored. */
  @Column({ name: 'token_hash', type: 'bytea', unique: true })
  tokenHash: Buffer;

  /** SHA-256 of the token the last rotation replaced, and when it did (ROTATION_GRACE_MS). */
  @Column({ name: 'previous_token_hash', type: 'bytea', nullable: true })
  previousTokenHash: Buffer | null;

  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt: Date | null;

  /**
   * Whether the replaced token keeps serving for ROTATION_GRACE_MS (a step-up or a role change, with
   * requests in flight) or answers 401 at once (a password change: its holder must be out).
   */
  @Column({ name: 'previous_token_grace', type: 'boolean', default: false })
  previousTokenGrace: boolean;

  @Column({ name: 'auth_method', type: 'varchar', length: 16 })
  authMethod: AuthMethod;

  @Column({ type: 'varchar', length: 45 })
  ip: string;

  @Column({ name: 'user_agent', type: 'varchar', length: 512 })
  userAgent: string;

  @Column({ name: 'device_name', type: 'varchar', length: 100 })
  deviceName: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_active_at', type: 'timestamptz' })
  lastActiveAt: Date;

  /** The absolute end: created_at + SESSION_ABSOLUTE_TIMEOUT. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'reauthenticated_at', type: 'timestamptz' })
  reauthenticatedAt: Date;

  /**
   * What the session proved, as RFC 8176 references (`pwd`, `otp`, `hwk`, `email`, `sso`): its
   * sign-in's, with those of every later confirmation added.
   */
  @Column({ type: 'varchar', length: 8, array: true, default: () => "'{}'" })
  amr: string[];

  /** When the session last proved a second factor (TOTP or a passkey), at sign-in or in a confirmation. */
  @Column({ name: 'second_factor_at', type: 'timestamptz', nullable: true })
  secondFactorAt: Date | null;

  /**
   * The SSO connection (SAML or OIDC) that last signed the session in or confirmed it, if any: a
   * session counts as its organization's, for that organization's MFA rule only. No foreign key: the
   * connection belongs to a module above this one, and an id no connection holds any more counts for
   * no organization.
   */
  @Column({ name: 'sso_connection_id', type: 'uuid', nullable: true })
  ssoConnectionId: string | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  /** Set when the user's privileges change (a role change by someone else): the next request gets a new token. */
  @Column({ name: 'rotation_required', type: 'boolean', default: false })
  rotationRequired: boolean;
}

/** Addresses a user has signed in from, most recent first; a sign-in from any other gets a mail. */
@Entity('known_ips')
export class KnownIp {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @PrimaryColumn({ type: 'varchar', length: 45 })
  ip: string;

  @UserReference()
  user?: unknown;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt: Date;
}
