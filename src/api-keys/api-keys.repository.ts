import { Injectable } from '@nestjs/common';
import { Sql } from '../database';
import type { UserView } from '../http';
import { USER_VIEW_COLUMNS, userViewFromRow, UserViewRow } from '../users/user-view-join';
import { ApiKey } from './api-key.entity';

export type NewApiKey = Pick<ApiKey, 'userId' | 'name' | 'prefix' | 'keyHash' | 'createdAt' | 'secondFactor'>;

/** A key found by its hash, with its user. */
export interface ResolvedApiKey {
  key: Pick<ApiKey, 'id' | 'lastUsedAt' | 'secondFactor'>;
  user: UserView;
}

/** Like the session lookup: the key's hash finds the key and its user in one query. */
const RESOLVE_SQL = `
  SELECT k.id AS key_id, k.last_used_at, k.second_factor, ${USER_VIEW_COLUMNS}
    FROM api_keys k JOIN users u ON u.id = k.user_id
   WHERE k.key_hash = $1
     -- A lock or suspension deletes the keys; this also catches one made in a transaction the lock did not see.
     AND u.locked_at IS NULL AND u.suspended_at IS NULL`;

/** Every column of a key row, under the entity's field names. */
const KEY_COLUMNS = `id, user_id AS "userId", name, prefix, key_hash AS "keyHash", created_at AS "createdAt",
  last_used_at AS "lastUsedAt"`;

interface ResolvedRow extends UserViewRow {
  key_id: string;
  last_used_at: Date | null;
  second_factor: boolean;
}

/** The api_keys table. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly sql: Sql) {}

  /** Answers the new key's id. */
  async insert(key: NewApiKey): Promise<string> {
    const row = await this.sql.one<{ id: string }>(
      `INSERT INTO api_keys (user_id, name, prefix, key_hash, created_at, second_factor)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [key.userId, key.name, key.prefix, key.keyHash, key.createdAt, key.secondFactor],
    );
    return row!.id;
  }

  /** The user's keys, newest first. */
  listByUser(userId: string): Promise<ApiKey[]> {
    return this.sql.rows<ApiKey>(
      `SELECT ${KEY_COLUMNS} FROM api_keys WHERE user_id = $1 ORDER BY created_at DESC, id ASC`,
      [userId],
    );
  }

  /** Deletes the key if it is the user's; false when it is missing or someone else's. */
  async deleteOwned(userId: string, id: string): Promise<boolean> {
    return (await this.sql.count('DELETE FROM api_keys WHERE id = $1 AND user_id = $2', [id, userId])) > 0;
  }

  /** Deletes every key of the user; answers how many. */
  deleteAllOf(userId: string): Promise<number> {
    return this.sql.count('DELETE FROM api_keys WHERE user_id = $1', [userId]);
  }

  /** The key holding the hash, with its user; a named prepared statement on the pool. */
  async resolve(keyHash: Buffer): Promise<ResolvedApiKey | undefined> {
    const [row] = await this.sql.prepared<ResolvedRow>('resolve_api_key', RESOLVE_SQL, [keyHash]);
    if (!row) return undefined;
    return {
      key: { id: row.key_id, lastUsedAt: row.last_used_at, secondFactor: row.second_factor },
      user: userViewFromRow(row),
    };
  }

  /**
   * Moves last_used_at to `now` unless it is already past `usedBefore`, so concurrent requests write
   * it once. Called by request authentication, where no transaction is open: the touch commits on its
   * own and never waits on a caller's transaction.
   */
  touchLastUsed(id: string, now: Date, usedBefore: Date): Promise<number> {
    return this.sql.count(
      'UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)',
      [id, now, usedBefore],
    );
  }

  async eraseUsers(userIds: string[]): Promise<void> {
    await this.sql.count('DELETE FROM api_keys WHERE user_id = ANY($1::uuid[])', [userIds]);
  }
}
