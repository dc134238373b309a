import { Injectable } from '@nestjs/common';
import { Sql } from '../database';
import { AdminKey } from './admin-key.entity';

export type NewAdminKey = Pick<AdminKey, 'name' | 'prefix' | 'scopes' | 'keyHash' | 'createdAt'>;
export type AdminKeySummary = Omit<AdminKey, 'keyHash'>;

const SUMMARY_COLUMNS = `id, name, prefix, scopes, created_at AS "createdAt", last_used_at AS "lastUsedAt",
  revoked_at AS "revokedAt"`;

/** The admin_keys table. */
@Injectable()
export class AdminRepository {
  constructor(private readonly sql: Sql) {}

  async insertKey(key: NewAdminKey): Promise<string> {
    const row = await this.sql.one<{ id: string }>(
      `INSERT INTO admin_keys (name, prefix, scopes, key_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [key.name, key.prefix, key.scopes, key.keyHash, key.createdAt],
    );
    return row!.id;
  }

  /** Every key, revoked ones too, oldest first. */
  listKeys(): Promise<AdminKeySummary[]> {
    return this.sql.rows<AdminKeySummary>(`SELECT ${SUMMARY_COLUMNS} FROM admin_keys ORDER BY created_at, id`);
  }

  /** Revokes a live key; false when there is no such key or it was already revoked. */
  async revokeKey(id: string, at: Date): Promise<AdminKeySummary | undefined> {
    return this.sql.one<AdminKeySummary>(
      `UPDATE admin_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING ${SUMMARY_COLUMNS}`,
      [id, at],
    );
  }

  /** A live key by its hash; on the pool, outside any transaction, like the session lookup. */
  async resolveKey(keyHash: Buffer): Promise<AdminKeySummary | undefined> {
    const rows = await this.sql.prepared<AdminKeySummary>(
      'admin_key_resolve',
      `SELECT ${SUMMARY_COLUMNS} FROM admin_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
      [keyHash],
    );
    return rows[0];
  }

  /** Moves last_used_at unless another request already did within the resolution. */
  async touchKey(id: string, now: Date, notAfter: Date): Promise<void> {
    await this.sql.count(
      `UPDATE admin_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)`,
      [id, now, notAfter],
    );
  }
}
