import { Injectable } from '@nestjs/common';
import { isForeignKeyViolation } from '../common/database-errors';
import { Sql } from '../database';
import { deleteInBatches } from '../tasks';
import type { UserView } from '../http';
import { USER_VIEW_COLUMNS, userViewFromRow, UserViewRow } from '../users/user-view-join';
import { AuthMethod, Session } from './session.entity';

export interface NewSession {
  userId: string;
  tokenHash: Buffer;
  authMethod: AuthMethod;
  ip: string;
  userAgent: string;
  deviceName: string;
  createdAt: Date;
  expiresAt: Date;
  /** What the sign-in proved (RFC 8176 references). */
  amr: readonly string[];
  /** The SSO connection that signed the session in, if one did. */
  ssoConnectionId?: string | null;
}

/** What a session proved and when, as the organization MFA rule and access tokens read it. */
export interface SessionAuthentication {
  amr: string[];
  /** When the session last authenticated: its sign-in or its latest confirmation. */
  authenticatedAt: Date;
  signedInAt: Date;
  secondFactorAt: Date | null;
  ssoConnectionId: string | null;
  /** Whether the token asked about is the session's current one (false: one a rotation replaced). */
  currentToken: boolean;
}

/** A second factor: an authenticator code or a passkey (which proves two in one). */
const SECOND_FACTOR_SQL = (amr: string) => `(${amr} && ARRAY['otp', 'hwk']::varchar[])`;

/** A session found by its token, whatever its state, with its user. */
export interface ResolvedSession {
  session: Pick<
    Session,
    'id' | 'createdAt' | 'lastActiveAt' | 'expiresAt' | 'reauthenticatedAt' | 'revokedAt' | 'rotationRequired'
  >;
  user: UserView;
}

/**
 * The hot path: the token's hash finds the session and its user in one indexed query (a read-only
 * join of the users table that this module owns by exception, see docs/architecture.md).
 */
/**
 * A session of a locked or suspended account reads as revoked (the lock or suspension revokes them
 * all; this also catches one issued in a transaction the lock did not see).
 */
const REVOKED_AT = 'COALESCE(s.revoked_at, u.locked_at, u.suspended_at) AS revoked_at';

const RESOLVE_SQL = `
  SELECT s.id, s.created_at, s.last_active_at, s.expires_at, s.reauthenticated_at, ${REVOKED_AT},
         s.rotation_required, ${USER_VIEW_COLUMNS}
    FROM sessions s JOIN users u ON u.id = s.user_id
   WHERE s.token_hash = $1`;

/** Only when the token is no session's current one: the session whose last rotation replaced it. */
const RESOLVE_PREVIOUS_SQL = `
  SELECT s.id, s.created_at, s.last_active_at, s.expires_at, s.reauthenticated_at, ${REVOKED_AT},
         s.rotation_required, s.rotated_at, s.previous_token_grace, ${USER_VIEW_COLUMNS}
    FROM sessions s JOIN users u ON u.id = s.user_id
   WHERE s.previous_token_hash = $1`;

/** Every column of a session row, under the entity's field names. */
const SESSION_COLUMNS = `id, user_id AS "userId", token_hash AS "tokenHash", previous_token_hash AS "previousTokenHash",
  rotated_at AS "rotatedAt", previous_token_grace AS "previousTokenGrace", auth_method AS "authMethod", ip,
  user_agent AS "userAgent", device_name AS "deviceName", created_at AS "createdAt", last_active_at AS "lastActiveAt",
  expires_at AS "expiresAt", reauthenticated_at AS "reauthenticatedAt", revoked_at AS "revokedAt",
  rotation_required AS "rotationRequired"`;

interface ResolvedRow extends UserViewRow {
  id: string;
  created_at: Date;
  last_active_at: Date;
  expires_at: Date;
  reauthenticated_at: Date;
  revoked_at: Date | null;
  rotation_required: boolean;
  rotated_at?: Date | null;
  previous_token_grace?: boolean;
}

/** The sessions and known_ips tables. */
@Injectable()
export class SessionsRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Inserts a session, active and re-authenticated as of its creation; answers its id, or undefined
   * when the user no longer exists (erased while signing in).
   */
  async insert(session: NewSession): Promise<string | undefined> {
    try {
      const row = await this.sql.one<{ id: string }>(
        `INSERT INTO sessions (user_id, token_hash, auth_method, ip, user_agent, device_name, created_at,
                               last_active_at, reauthenticated_at, expires_at, amr, second_factor_at,
                               sso_connection_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7, $8, $9::varchar[],
                 CASE WHEN ${SECOND_FACTOR_SQL('$9::varchar[]')} THEN $7::timestamptz END, $10) RETURNING id`,
        [
          session.userId,
          session.tokenHash,
          session.authMethod,
          session.ip,
          session.userAgent,
          session.deviceName,
          session.createdAt,
          session.expiresAt,
          session.amr,
          session.ssoConnectionId ?? null,
        ],
      );
      return row!.id;
    } catch (error) {
      if (isForeignKeyViolation(error)) return undefined;
      throw error;
    }
  }

  /** Revokes the user's live sessions beyond the newest `keep`, never `keptId`; answers how many. */
  revokeBeyondNewest(userId: string, keptId: string, keep: number, now: Date): Promise<number> {
    return this.sql.count(
      `UPDATE sessions SET revoked_at = $2 WHERE id IN (
         SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND id <> $4
          ORDER BY created_at DESC, id OFFSET $3)`,
      [userId, now, keep, keptId],
    );
  }

  /** Records that the user was seen at the address; true when it is new to them. */
  async rememberIp(userId: string, ip: string, now: Date): Promise<boolean> {
    const row = await this.sql.one<{ inserted: boolean }>(
      `INSERT INTO known_ips (user_id, ip, last_seen_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, ip) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at
       RETURNING (xmax = 0) AS inserted`,
      [userId, ip, now],
    );
    return row?.inserted === true;
  }

  /** Each user's latest sign-in: the newest last_seen_at of their known addresses (a primary-key range read each). */
  async lastSeen(userIds: string[]): Promise<Map<string, Date>> {
    const rows = await this.sql.rows<{ id: string; at: Date | null }>(
      `SELECT u.id, (SELECT max(k.last_seen_at) FROM known_ips k WHERE k.user_id = u.id) AS at
         FROM unnest($1::uuid[]) AS u(id)`,
      [userIds],
    );
    return new Map(rows.flatMap((row) => (row.at ? [[row.id, row.at] as const] : [])));
  }

  /** Forgets the user's addresses beyond the `keep` most recently seen. */
  forgetIpsBeyondNewest(userId: string, keep: number): Promise<number> {
    return this.sql.count(
      `DELETE FROM known_ips WHERE user_id = $1 AND ip IN (
         SELECT ip FROM known_ips WHERE user_id = $1 ORDER BY last_seen_at DESC OFFSET $2)`,
      [userId, keep],
    );
  }

  /** The session holding the token's hash, with its user; a named prepared statement on the pool. */
  async resolve(tokenHash: Buffer): Promise<ResolvedSession | undefined> {
    const [row] = await this.sql.prepared<ResolvedRow>('resolve_session', RESOLVE_SQL, [tokenHash]);
    return row && resolvedFromRow(row);
  }

  /** The session whose last rotation replaced this token's hash, with when it did and whether with a grace. */
  async resolvePrevious(
    tokenHash: Buffer,
  ): Promise<(ResolvedSession & { rotatedAt: Date; grace: boolean }) | undefined> {
    const [row] = await this.sql.prepared<ResolvedRow>('resolve_previous_session', RESOLVE_PREVIOUS_SQL, [tokenHash]);
    return row?.rotated_at
      ? { ...resolvedFromRow(row), rotatedAt: row.rotated_at, grace: row.previous_token_grace === true }
      : undefined;
  }

  /**
   * Moves last_active_at to `now` unless it is already past `touchedBefore`, so instances racing on
   * one session write it once. Called by request authentication, where no transaction is open: the
   * touch commits on its own and never waits on a caller's transaction.
   */
  touch(id: string, now: Date, touchedBefore: Date): Promise<number> {
    return this.sql.count('UPDATE sessions SET last_active_at = $2 WHERE id = $1 AND last_active_at < $3', [
      id,
      now,
      touchedBefore,
    ]);
  }

  /**
   * Swaps the token of a session marked for rotation, only while it still holds `oldHash`; false
   * when another request swapped it first. Outside any transaction, like touch.
   */
  async rotateRequested(id: string, oldHash: Buffer, newHash: Buffer, now: Date): Promise<boolean> {
    const count = await this.sql.count(
      `UPDATE sessions SET token_hash = $3, previous_token_hash = token_hash, rotated_at = $4,
                          previous_token_grace = true, rotation_required = false, last_active_at = $4
        WHERE id = $1 AND token_hash = $2 AND rotation_required`,
      [id, oldHash, newHash, now],
    );
    return count > 0;
  }

  /** Marks every live session of the user for rotation on its next request. */
  requireRotation(userId: string): Promise<number> {
    return this.sql.count('UPDATE sessions SET rotation_required = true WHERE user_id = $1 AND revoked_at IS NULL', [
      userId,
    ]);
  }

  /** The user's unrevoked sessions that expire after `now` and were active after `activeAfter`, most recently active first. */
  listLive(userId: string, now: Date, activeAfter: Date): Promise<Session[]> {
    return this.sql.rows<Session>(
      `SELECT ${SESSION_COLUMNS} FROM sessions
        WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND last_active_at > $3
        ORDER BY last_active_at DESC, created_at DESC`,
      [userId, now, activeAfter],
    );
  }

  /** Whether the session is the user's, unrevoked and not expired at `now`; another user's id is simply absent. */
  async isOwnLive(userId: string, sessionId: string, now: Date): Promise<boolean> {
    const rows = await this.sql.rows(
      'SELECT 1 FROM sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3',
      [sessionId, userId, now],
    );
    return rows.length > 0;
  }

  /**
   * Gives an unrevoked session of the user a new token hash, active as of `now` (and re-authenticated
   * then too when `reauthenticated`); the replaced token keeps its grace only with `grace`. Answers
   * the session's expiry, or undefined when there is no such session, or when `currentHash` is given
   * and the session no longer holds it. A concurrent replacement holds the row until it commits; this
   * one then sees the new hash and changes nothing.
   */
  async replaceToken(
    userId: string,
    sessionId: string,
    tokenHash: Buffer,
    now: Date,
    {
      reauthenticated,
      grace,
      amr,
      ssoConnectionId = null,
    }: { reauthenticated: boolean; grace: boolean; amr: readonly string[]; ssoConnectionId?: string | null },
    currentHash: Buffer | null,
  ): Promise<{ expiresAt: Date } | undefined> {
    // A confirmation adds what it proved to the session's references (each once).
    const row = await this.sql.one<{ expires_at: Date }>(
      `UPDATE sessions
          SET token_hash = $3, previous_token_hash = token_hash, rotated_at = $4, previous_token_grace = $7,
              last_active_at = $4, rotation_required = false,
              reauthenticated_at = CASE WHEN $5 THEN $4 ELSE reauthenticated_at END,
              amr = ARRAY(SELECT DISTINCT unnest(amr || $8::varchar[]) ORDER BY 1),
              second_factor_at = CASE WHEN ${SECOND_FACTOR_SQL('$8::varchar[]')} THEN $4 ELSE second_factor_at END,
              sso_connection_id = COALESCE($9::uuid, sso_connection_id)
        WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND ($6::bytea IS NULL OR token_hash = $6)
        RETURNING expires_at`,
      [sessionId, userId, tokenHash, now, reauthenticated, currentHash, grace, amr, ssoConnectionId],
    );
    return row && { expiresAt: row.expires_at };
  }

  /**
   * What the session proved and when, by its id (primary key); `tokenHash` says whether that token is
   * the session's current one. Undefined for no such session.
   */
  async authentication(sessionId: string, tokenHash: Buffer | null): Promise<SessionAuthentication | undefined> {
    return this.sql.one<SessionAuthentication>(
      `SELECT amr, reauthenticated_at AS "authenticatedAt", created_at AS "signedInAt",
              second_factor_at AS "secondFactorAt", sso_connection_id AS "ssoConnectionId",
              ($2::bytea IS NULL OR token_hash = $2) AS "currentToken"
         FROM sessions WHERE id = $1`,
      [sessionId, tokenHash],
    );
  }

  /** Revokes one unrevoked session of the user; false when it is not theirs or already revoked. */
  async revoke(userId: string, sessionId: string, now: Date): Promise<boolean> {
    const count = await this.sql.count(
      'UPDATE sessions SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL',
      [sessionId, userId, now],
    );
    return count > 0;
  }

  /** Revokes every unrevoked session of the user but `keptId`; answers how many. */
  revokeAll(userId: string, now: Date, keptId?: string): Promise<number> {
    return this.sql.count(
      `UPDATE sessions SET revoked_at = $2
        WHERE user_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR id <> $3::uuid)`,
      [userId, now, keptId ?? null],
    );
  }

  /** Revokes the user's live sessions signed in with any of these methods; answers how many. */
  revokeByMethod(userId: string, authMethods: AuthMethod[], now: Date): Promise<number> {
    return this.sql.count(
      'UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL AND auth_method = ANY($3::text[])',
      [userId, now, authMethods],
    );
  }

  /** Deletes, in batches, sessions expired at `now`, idle since `idleBefore`, or revoked; answers how many. */
  deleteDead(now: Date, idleBefore: Date): Promise<number> {
    return deleteInBatches(this.sql, 'sessions', 'expires_at <= $1 OR last_active_at <= $2 OR revoked_at IS NOT NULL', [
      now,
      idleBefore,
    ]);
  }

  /** The addresses the user signed in from, newest first (for the export). */
  knownIps(userId: string): Promise<Array<{ ip: string; lastSeenAt: Date }>> {
    return this.sql.rows(
      'SELECT ip, last_seen_at AS "lastSeenAt" FROM known_ips WHERE user_id = $1 ORDER BY last_seen_at DESC',
      [userId],
    );
  }

  /** Every session and known address of these users, whatever their state. */
  async eraseUsers(userIds: string[]): Promise<void> {
    await this.sql.count('DELETE FROM known_ips WHERE user_id = ANY($1::uuid[])', [userIds]);
    await this.sql.count('DELETE FROM sessions WHERE user_id = ANY($1::uuid[])', [userIds]);
  }
}

function resolvedFromRow(row: ResolvedRow): ResolvedSession {
  return {
    session: {
      id: row.id,
      createdAt: row.created_at,
      lastActiveAt: row.last_active_at,
      expiresAt: row.expires_at,
      reauthenticatedAt: row.reauthenticated_at,
      revokedAt: row.revoked_at,
      rotationRequired: row.rotation_required,
    },
    user: userViewFromRow(row),
  };
}
