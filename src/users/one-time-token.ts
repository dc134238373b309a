import { Column, PrimaryGeneratedColumn } from 'typeorm';
import type { Sql } from '../database/sql';
import { UserReference } from './user-reference';
import { hashToken } from '../common/crypto';
import { DomainError } from '../common/errors';

/**
 * The shape of a one-time token table (password reset, email verification): the user it belongs
 * to, the SHA-256 of the token mailed to them, when it expires and when it was used.
 */
export abstract class OneTimeToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @UserReference()
  user?: unknown;

  /** SHA-256 of the token mailed to the user; the token itself is never stored. */
  @Column({ name: 'token_hash', type: 'bytea', unique: true })
  tokenHash: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;
}

/**
 * Spends a token in one statement (UPDATE … WHERE used_at IS NULL AND expires_at > now), so of
 * two concurrent uses one wins; answers the spent row. Unknown, expired or used: invalid_token.
 * Called by the repository that owns `table`, in its ambient transaction.
 */
export async function consumeOneTimeToken(
  sql: Sql,
  table: string,
  token: string,
  now: Date,
): Promise<{ user_id: string } & Record<string, unknown>> {
  const row = await sql.one<{ user_id: string } & Record<string, unknown>>(
    `UPDATE ${table} SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING *`,
    [hashToken(token), now],
  );
  if (!row) throw new DomainError('invalid_token');
  return row;
}
