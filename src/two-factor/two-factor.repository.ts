import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql';
import { TotpFactor } from './two-factor.entity';

/**
 * The totp_factors and recovery_codes tables. Secrets arrive sealed and codes hashed. The writes
 * that decide a race (enable, a code's use) are single conditional statements answering whether
 * they won.
 */
@Injectable()
export class TwoFactorRepository {
  constructor(private readonly sql: Sql) {}

  /** `lock`: the row stays as read until the caller's transaction ends (FOR UPDATE). */
  async findFactor(userId: string, { lock = false } = {}): Promise<TotpFactor | null> {
    return (
      (await this.sql.one<TotpFactor>(
        `SELECT user_id AS "userId", secret, enabled_at AS "enabledAt", last_used_step AS "lastUsedStep",
                created_at AS "createdAt"
           FROM totp_factors WHERE user_id = $1${lock ? ' FOR UPDATE' : ''}`,
        [userId],
      )) ?? null
    );
  }

  /** Stores a pending secret, replacing a pending one but never an enabled one; false when one is enabled. */
  async savePendingSecret(userId: string, secret: Buffer, now: Date): Promise<boolean> {
    const rows = await this.sql.rows(
      `INSERT INTO totp_factors (user_id, secret, enabled_at, last_used_step, created_at) VALUES ($1, $2, NULL, NULL, $3)
       ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, last_used_step = NULL, created_at = EXCLUDED.created_at
         WHERE totp_factors.enabled_at IS NULL
       RETURNING user_id`,
      [userId, secret, now],
    );
    return rows.length > 0;
  }

  /**
   * Enables the pending factor if its secret is still `secret` (the one the code was checked
   * against), recording the code's step as used; false when it is already enabled or was replaced.
   */
  async enablePending(userId: string, secret: Buffer, step: number, now: Date): Promise<boolean> {
    const count = await this.sql.count(
      `UPDATE totp_factors SET enabled_at = $2, last_used_step = $3 WHERE user_id = $1 AND enabled_at IS NULL AND secret = $4`,
      [userId, now, step, secret],
    );
    return count > 0;
  }

  /** Records `step` as used unless it or a later step already was; false when the code was replayed. */
  async useStep(userId: string, step: number): Promise<boolean> {
    const count = await this.sql.count(
      `UPDATE totp_factors SET last_used_step = $2 WHERE user_id = $1 AND (last_used_step IS NULL OR last_used_step < $2)`,
      [userId, step],
    );
    return count > 0;
  }

  /** Spends an unused recovery code; false when there is none with this hash. */
  async useRecoveryCode(userId: string, codeHash: Buffer, now: Date): Promise<boolean> {
    const rows = await this.sql.rows(
      `UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING id`,
      [userId, codeHash, now],
    );
    return rows.length > 0;
  }

  /** False when the user had no factor, pending or enabled. */
  async deleteFactor(userId: string): Promise<boolean> {
    return (await this.sql.count('DELETE FROM totp_factors WHERE user_id = $1', [userId])) > 0;
  }

  async deleteRecoveryCodes(userId: string): Promise<void> {
    await this.sql.count('DELETE FROM recovery_codes WHERE user_id = $1', [userId]);
  }

  /** The user's recovery codes become exactly these; the old ones die. */
  async replaceRecoveryCodes(userId: string, codeHashes: Buffer[], now: Date): Promise<void> {
    await this.deleteRecoveryCodes(userId);
    await this.sql.count(
      'INSERT INTO recovery_codes (user_id, code_hash, created_at) SELECT $1::uuid, unnest($2::bytea[]), $3::timestamptz',
      [userId, codeHashes, now],
    );
  }

  /** How many of the user's recovery codes are still unused. */
  async unusedRecoveryCodes(userId: string): Promise<number> {
    const row = await this.sql.one<{ n: number }>(
      'SELECT count(*)::int AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL',
      [userId],
    );
    return row?.n ?? 0;
  }

  async eraseUsers(userIds: string[]): Promise<void> {
    await this.sql.count('DELETE FROM recovery_codes WHERE user_id = ANY($1::uuid[])', [userIds]);
    await this.sql.count('DELETE FROM totp_factors WHERE user_id = ANY($1::uuid[])', [userIds]);
  }

  /** TOTP secrets not sealed under the key `currentPrefix` names, after `after` in user order. */
  secretsNotUnder(currentPrefix: Buffer, after: string | null, limit: number): Promise<SealedSecretRow[]> {
    return this.sql.rows<SealedSecretRow>(
      `SELECT user_id::text AS key, secret FROM totp_factors
        WHERE substring(secret from 1 for $1) <> $2 AND ($3::uuid IS NULL OR user_id > $3::uuid)
        ORDER BY user_id LIMIT $4`,
      [currentPrefix.length, currentPrefix, after, limit],
    );
  }

  /** The secret sealed again, if the factor still holds `before` (it may have been replaced meanwhile). */
  async replaceSecret(userId: string, before: Buffer, secret: Buffer): Promise<boolean> {
    return (
      (await this.sql.count('UPDATE totp_factors SET secret = $3 WHERE user_id = $1 AND secret = $2', [
        userId,
        before,
        secret,
      ])) === 1
    );
  }
}

export interface SealedSecretRow {
  key: string;
  secret: Buffer;
}
