import { Injectable } from '@nestjs/common';
import { Sql } from '../database';
import type { ChallengePurpose } from './webauthn-challenge.entity';

/** A passkey as its owner sees it: never its public key. */
export interface PasskeySummary {
  id: string;
  name: string;
  backedUp: boolean;
  deviceType: string;
  transports: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** What an assertion is checked against. */
export interface StoredCredential {
  id: string;
  userId: string;
  credentialId: string;
  publicKey: Buffer;
  /** bigint: node-postgres reads it as text. */
  counter: string;
  transports: string[];
}

/** What excludeCredentials and allowCredentials list. */
export interface CredentialDescriptor {
  credentialId: string;
  transports: string[];
}

export interface NewPasskey {
  userId: string;
  credentialId: string;
  publicKey: Buffer;
  counter: number;
  transports: string[];
  backedUp: boolean;
  deviceType: string;
  name: string;
  createdAt: Date;
}

export interface NewChallenge {
  challengeHash: Buffer;
  purpose: ChallengePurpose;
  userId: string | null;
  sessionId: string | null;
  expiresAt: Date;
}

/** Which challenge may be spent: its purpose, and the user and session it was issued to when it names them. */
export interface ChallengeClaim {
  id: string;
  purpose: ChallengePurpose;
  userId?: string;
  sessionId?: string;
  now: Date;
}

export interface SpentChallenge {
  challengeHash: Buffer;
  userId: string | null;
  sessionId: string | null;
}

const SUMMARY_COLUMNS = `id, name, backed_up AS "backedUp", device_type AS "deviceType", transports,
  created_at AS "createdAt", last_used_at AS "lastUsedAt"`;

/** The passkeys and webauthn_challenges tables. */
@Injectable()
export class PasskeysRepository {
  constructor(private readonly sql: Sql) {}

  /** Undefined when the credential is already registered (to anyone). */
  insert(passkey: NewPasskey): Promise<PasskeySummary | undefined> {
    return this.sql.one<PasskeySummary>(
      `INSERT INTO passkeys (user_id, credential_id, public_key, counter, transports, backed_up, device_type, name, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (credential_id) DO NOTHING
       RETURNING ${SUMMARY_COLUMNS}`,
      [
        passkey.userId,
        passkey.credentialId,
        passkey.publicKey,
        passkey.counter,
        passkey.transports,
        passkey.backedUp,
        passkey.deviceType,
        passkey.name,
        passkey.createdAt,
      ],
    );
  }

  /** The user's passkeys, newest first. */
  listByUser(userId: string): Promise<PasskeySummary[]> {
    return this.sql.rows<PasskeySummary>(
      `SELECT ${SUMMARY_COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at DESC, id`,
      [userId],
    );
  }

  credentialsOf(userId: string): Promise<CredentialDescriptor[]> {
    return this.sql.rows<CredentialDescriptor>(
      `SELECT credential_id AS "credentialId", transports FROM passkeys WHERE user_id = $1 ORDER BY created_at, id`,
      [userId],
    );
  }

  /**
   * Serialises, until the transaction ends, the changes to one user's passkeys, so that the count
   * read after a change is the one the transaction leaves.
   */
  async lockUser(userId: string): Promise<void> {
    await this.sql.rows(`SELECT pg_advisory_xact_lock(hashtextextended('passkeys.user:' || $1, 0))`, [userId]);
  }

  async countByUser(userId: string): Promise<number> {
    const row = await this.sql.one<{ count: number }>(
      'SELECT count(*)::int AS count FROM passkeys WHERE user_id = $1',
      [userId],
    );
    return row?.count ?? 0;
  }

  findByCredentialId(credentialId: string): Promise<StoredCredential | undefined> {
    return this.sql.one<StoredCredential>(
      `SELECT id, user_id AS "userId", credential_id AS "credentialId", public_key AS "publicKey",
              counter, transports
         FROM passkeys WHERE credential_id = $1`,
      [credentialId],
    );
  }

  /** Undefined when the passkey is missing or someone else's. */
  renameOwned(userId: string, id: string, name: string): Promise<PasskeySummary | undefined> {
    return this.sql.one<PasskeySummary>(
      `UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2 RETURNING ${SUMMARY_COLUMNS}`,
      [id, userId, name],
    );
  }

  /** Undefined when the passkey is missing or someone else's. */
  deleteOwned(userId: string, id: string): Promise<PasskeySummary | undefined> {
    return this.sql.one<PasskeySummary>(
      `DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING ${SUMMARY_COLUMNS}`,
      [id, userId],
    );
  }

  /**
   * Records a use. A counter moves only forward (a passkey that never counts stays at 0): when
   * another assertion has moved it to `counter` or past it meanwhile, nothing is written and the
   * answer is false.
   */
  async recordUse(id: string, counter: number, now: Date): Promise<boolean> {
    const touched = await this.sql.count(
      `UPDATE passkeys SET counter = $2::bigint, last_used_at = $3
        WHERE id = $1 AND (($2::bigint = 0 AND counter = 0) OR counter < $2::bigint)`,
      [id, counter, now],
    );
    return touched > 0;
  }

  async insertChallenge(challenge: NewChallenge): Promise<string> {
    const row = await this.sql.one<{ id: string }>(
      `INSERT INTO webauthn_challenges (challenge_hash, purpose, user_id, session_id, expires_at)
       VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [challenge.challengeHash, challenge.purpose, challenge.userId, challenge.sessionId, challenge.expiresAt],
    );
    return row!.id;
  }

  /**
   * Spends the challenge in one statement, so two requests never both get it: undefined when it is
   * unknown, used, expired, of another purpose, or issued to another user or session.
   */
  consumeChallenge(claim: ChallengeClaim): Promise<SpentChallenge | undefined> {
    return this.sql.one<SpentChallenge>(
      `UPDATE webauthn_challenges SET used_at = $3
        WHERE id = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
          AND ($4::uuid IS NULL OR user_id = $4::uuid)
          AND ($5::uuid IS NULL OR session_id = $5::uuid)
       RETURNING challenge_hash AS "challengeHash", user_id AS "userId", session_id AS "sessionId"`,
      [claim.id, claim.purpose, claim.now, claim.userId ?? null, claim.sessionId ?? null],
    );
  }

  /** Deletes the challenges that can no longer be spent; answers how many. */
  deleteEndedChallenges(now: Date): Promise<number> {
    return this.sql.count('DELETE FROM webauthn_challenges WHERE expires_at <= $1 OR used_at IS NOT NULL', [now]);
  }

  async eraseUsers(userIds: string[]): Promise<void> {
    await this.sql.count('DELETE FROM webauthn_challenges WHERE user_id = ANY($1::uuid[])', [userIds]);
    await this.sql.count('DELETE FROM passkeys WHERE user_id = ANY($1::uuid[])', [userIds]);
  }
}
