import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { UserReference } from '../users/user-reference';

/** What a mailed code is for: signing in (a link and a code), or confirming a session's step-up (a code). */
export type EmailCodePurpose = 'sign-in' | 'step-up';

/**
 * Links and 6-digit codes mailed to an address. Only the link token's SHA-256 and the code's keyed
 * hash are kept, never either in clear. One live row per address for signing in and one per user
 * for step-up: asking again replaces it (the partial unique indexes).
 */
@Entity('email_sign_in_codes')
@Index('email_sign_in_codes_sign_in_email_key', ['email'], { unique: true, where: `purpose = 'sign-in'` })
@Index('email_sign_in_codes_step_up_user_key', ['userId'], { unique: true, where: `purpose = 'step-up'` })
@Index('email_sign_in_codes_token_hash_key', ['tokenHash'], { unique: true, where: 'token_hash IS NOT NULL' })
@Index('email_sign_in_codes_expires_at_idx', ['expiresAt'])
export class EmailSignInCode {
  /** Chosen before the insert: the code's hash mixes it in, so one code's hash matches no other row. */
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** The canonical address the mail went to. */
  @Column({ type: 'varchar', length: 320 })
  email: string;

  /** Signing in: the account that held the address when asked, if any; step-up: the user. */
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @UserReference()
  user?: unknown;

  @Column({ type: 'varchar', length: 16 })
  purpose: EmailCodePurpose;

  /** Step-up: the session that asked; the code confirms that session only. */
  @Column({ name: 'session_id', type: 'uuid', nullable: true })
  sessionId: string | null;

  /** SHA-256 of the link's token; NULL for step-up, which has no link. */
  @Column({ name: 'token_hash', type: 'bytea', nullable: true })
  tokenHash: Buffer | null;

  /** HMAC-SHA256 of the row id and the code, under a key derived from ENCRYPTION_KEY. */
  @Column({ name: 'code_hash', type: 'bytea' })
  codeHash: Buffer;

  /** Signing in: the same-origin path the built-in page goes to afterwards. */
  @Column({ name: 'return_to', type: 'varchar', length: 2048, nullable: true })
  returnTo: string | null;

  /** Codes tried, counted before each is checked; the fifth wrong one ends the row. */
  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;
}
