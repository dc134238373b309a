import { Injectable } from '@nestjs/common';
import { Sql } from '../database';
import type { SigningKey, SigningKeyState } from './signing-key.entity';

export type StoredSigningKey = Pick<
  SigningKey,
  'kid' | 'algorithm' | 'state' | 'publicJwk' | 'privateKey' | 'createdAt' | 'activatedAt' | 'retiredAt'
>;

export type NewSigningKey = Pick<SigningKey, 'kid' | 'algorithm' | 'state' | 'publicJwk' | 'privateKey' | 'createdAt'>;

const KEY_COLUMNS = `kid, algorithm, state, public_jwk AS "publicJwk", private_key AS "privateKey",
  created_at AS "createdAt", activated_at AS "activatedAt", retired_at AS "retiredAt"`;

/** The signing_keys table. */
@Injectable()
export class TokensRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Serialises the changes of the key set among all instances (first keys, rotation) until the
   * transaction ends; the unique index on the state is the backstop.
   */
  async lockKeys(): Promise<void> {
    await this.sql.rows(`SELECT pg_advisory_xact_lock(hashtextextended('authd:signing-keys', 0))`);
  }

  /** The next and current keys, and the retired ones retired after `retiredAfter`, newest first. */
  published(retiredAfter: Date): Promise<StoredSigningKey[]> {
    return this.sql.rows(
      `SELECT ${KEY_COLUMNS} FROM signing_keys WHERE state <> 'retired' OR retired_at > $1
        ORDER BY created_at DESC, kid`,
      [retiredAfter],
    );
  }

  /** The kid of the key that signs now (the unique index on the state finds it), if any. */
  async currentKid(): Promise<string | undefined> {
    return (await this.sql.one<{ kid: string }>(`SELECT kid FROM signing_keys WHERE state = 'current'`))?.kid;
  }

  async insert(key: NewSigningKey): Promise<void> {
    await this.sql.count(
      `INSERT INTO signing_keys (kid, algorithm, state, public_jwk, private_key, created_at, activated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        key.kid,
        key.algorithm,
        key.state,
        JSON.stringify(key.publicJwk),
        key.privateKey,
        key.createdAt,
        key.state === 'current' ? key.createdAt : null,
      ],
    );
  }

  /** Moves the key in `from` to `to` (retiring or activating it as of `now`); false when there was none. */
  async advance(from: SigningKeyState, to: SigningKeyState, now: Date): Promise<boolean> {
    const count = await this.sql.count(
      `UPDATE signing_keys SET state = $2::varchar,
              activated_at = CASE WHEN $2::varchar = 'current' THEN $3::timestamptz ELSE activated_at END,
              retired_at = CASE WHEN $2::varchar = 'retired' THEN $3::timestamptz ELSE retired_at END
        WHERE state = $1`,
      [from, to, now],
    );
    return count > 0;
  }

  /** Deletes the keys retired before `retiredBefore` (no token they signed can be live); answers how many. */
  deleteRetired(retiredBefore: Date): Promise<number> {
    return this.sql.count(`DELETE FROM signing_keys WHERE state = 'retired' AND retired_at <= $1`, [retiredBefore]);
  }

  /** Private keys not sealed under the current key (`currentPrefix`), after `after`, by kid. */
  privateKeysNotUnder(currentPrefix: Buffer, after: string | null, limit: number): Promise<SealedPrivateKeyRow[]> {
    return this.sql.rows<SealedPrivateKeyRow>(
      `SELECT kid AS key, private_key AS "privateKey" FROM signing_keys
        WHERE substring(private_key from 1 for $1) <> $2 AND ($3::varchar IS NULL OR kid > $3::varchar)
        ORDER BY kid LIMIT $4`,
      [currentPrefix.length, currentPrefix, after, limit],
    );
  }

  /** The private key sealed again, if the row still holds `before`. */
  async replacePrivateKey(kid: string, before: Buffer, sealed: Buffer): Promise<boolean> {
    const count = await this.sql.count('UPDATE signing_keys SET private_key = $3 WHERE kid = $1 AND private_key = $2', [
      kid,
      before,
      sealed,
    ]);
    return count === 1;
  }
}

export interface SealedPrivateKeyRow {
  key: string;
  privateKey: Buffer;
}
