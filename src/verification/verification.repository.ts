import { Injectable } from '@nestjs/common';
import { consumeOneTimeToken } from '../users/one-time-token';
import { Sql } from '../database/sql';
import { VerificationToken } from './verification-token.entity';

/** A token to store: only its hash, never the token mailed. */
export type NewVerificationToken = Pick<
  VerificationToken,
  'userId' | 'email' | 'tokenHash' | 'createdAt' | 'expiresAt'
>;

/** What a spent token verifies: this user's address, if it is still `email`. */
export type SpentVerificationToken = Pick<VerificationToken, 'userId' | 'email'>;

/** The verification_tokens table. */
@Injectable()
export class VerificationRepository {
  constructor(private readonly sql: Sql) {}

  async deleteForUser(userId: string): Promise<void> {
    await this.sql.count('DELETE FROM verification_tokens WHERE user_id = $1', [userId]);
  }

  async insert(token: NewVerificationToken): Promise<void> {
    await this.sql.count(
      `INSERT INTO verification_tokens (user_id, email, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
      [token.userId, token.email, token.tokenHash, token.createdAt, token.expiresAt],
    );
  }

  /** Spends the token in one statement; invalid_token when it is unknown, expired or used. */
  async consume(token: string, now: Date): Promise<SpentVerificationToken> {
    const spent = await consumeOneTimeToken(this.sql, 'verification_tokens', token, now);
    return { userId: spent.user_id, email: spent.email as string };
  }

  async eraseUsers(userIds: string[]): Promise<void> {
    await this.sql.count('DELETE FROM verification_tokens WHERE user_id = ANY($1::uuid[])', [userIds]);
  }
}
