import { Injectable } from '@nestjs/common';
import { hashToken } from '../common/crypto';
import { Sql } from '../database/sql';
import { consumeOneTimeToken } from '../users/one-time-token';

/** The password_reset_tokens table: the auth module's only one. */
@Injectable()
export class AuthRepository {
  constructor(private readonly sql: Sql) {}

  /** Only the newest link works: the user's older ones go as this one is stored. */
  async replaceResetToken(userId: string, token: string, now: Date, expiresAt: Date): Promise<void> {
    await this.deleteResetTokens(userId);
    await this.sql.count(
      `INSERT INTO password_reset_tokens (user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
      [userId, hashToken(token), now, expiresAt],
    );
  }

  /** Whether a reset token is known, unused and unexpired, without spending it. */
  async resetTokenIsLive(token: string, now: Date): Promise<boolean> {
    const row = await this.sql.one(
      'SELECT 1 FROM password_reset_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2',
      [hashToken(token), now],
    );
    return row !== undefined;
  }

  /** Spends a reset token atomically; answers whose it was (invalid_token otherwise). */
  async consumeResetToken(token: string, now: Date): Promise<string> {
    return (await consumeOneTimeToken(this.sql, 'password_reset_tokens', token, now)).user_id;
  }

  async deleteResetTokens(userId: string): Promise<void> {
    await this.sql.count('DELETE FROM password_reset_tokens WHERE user_id = $1', [userId]);
  }

  async eraseUsers(userIds: string[]): Promise<void> {
    await this.sql.count('DELETE FROM password_reset_tokens WHERE user_id = ANY($1::uuid[])', [userIds]);
  }
}
