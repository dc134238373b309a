import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { DataSource } from 'typeorm';
import { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { generateToken, hashToken } from '../common/crypto';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { USER_VIEW_COLUMNS, UserView, userViewFromRow, UserViewRow } from '../users/user.dto';
import { deviceName } from './device-name';
import { AuthMethod, Session } from './session.entity';

/** What a login or signup answers about the session it opened. */
export interface IssuedSession {
  id: string;
  token: string;
  expiresAt: Date;
  idleExpiresAt: Date;
}

/** The session half of a request's authentication. */
export interface SessionContext {
  id: string;
  createdAt: Date;
  lastActiveAt: Date;
  expiresAt: Date;
  reauthenticatedAt: Date;
}

export interface AuthenticatedSession {
  user: UserView;
  session: SessionContext;
}

/**
 * The hot path: the token's hash finds the session and its user in one indexed query (a read-only
 * join of the users table that this module owns by exception, see ARCHITECTURE.md).
 */
const RESOLVE_SQL = `
  SELECT s.id, s.created_at, s.last_active_at, s.expires_at, s.reauthenticated_at, s.revoked_at,
         ${USER_VIEW_COLUMNS}
    FROM sessions s JOIN users u ON u.id = s.user_id
   WHERE s.token_hash = $1`;

interface ResolvedRow extends UserViewRow {
  id: string;
  created_at: Date;
  last_active_at: Date;
  expires_at: Date;
  reauthenticated_at: Date;
  revoked_at: Date | null;
}

@Injectable()
export class SessionsService {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Opens a session for a user who just authenticated (signup and login count). */
  async issue(userId: string, client: ClientInfo, authMethod: AuthMethod): Promise<IssuedSession> {
    const now = this.clock.now();
    const token = generateToken();
    const expiresAt = new Date(now.getTime() + this.config.sessionAbsoluteTimeoutMs);
    const { identifiers } = await this.txHost.tx.getRepository(Session).insert({
      userId,
      tokenHash: hashToken(token),
      authMethod,
      ip: client.ip.slice(0, 45),
      userAgent: client.userAgent,
      deviceName: deviceName(client.userAgent),
      createdAt: now,
      lastActiveAt: now,
      expiresAt,
      reauthenticatedAt: now,
    });
    return { id: identifiers[0].id as string, token, expiresAt, idleExpiresAt: this.idleExpiry(now, expiresAt) };
  }

  /**
   * Resolves a token: unknown → unauthenticated; revoked or past a timeout → session_expired with
   * its reason. Writes last_active_at at most once per SESSION_TOUCH_INTERVAL.
   */
  async authenticate(token: string): Promise<AuthenticatedSession> {
    const rows: ResolvedRow[] = await this.dataSource.query(RESOLVE_SQL, [hashToken(token)]);
    const row = rows[0];
    if (!row) throw new DomainError('unauthenticated');
    const now = this.clock.now();
    if (row.revoked_at) throw new DomainError('session_expired', { reason: 'revoked' });
    if (now >= row.expires_at) throw new DomainError('session_expired', { reason: 'absolute' });
    if (now.getTime() - row.last_active_at.getTime() >= this.config.sessionIdleTimeoutMs) {
      throw new DomainError('session_expired', { reason: 'idle' });
    }
    let lastActiveAt = row.last_active_at;
    if (now.getTime() - lastActiveAt.getTime() >= this.config.sessionTouchIntervalMs) {
      lastActiveAt = now;
      // Conditional, so instances racing on one session write it once.
      await this.dataSource.query('UPDATE sessions SET last_active_at = $2 WHERE id = $1 AND last_active_at < $3', [
        row.id,
        now,
        new Date(now.getTime() - this.config.sessionTouchIntervalMs + 1),
      ]);
    }
    return {
      session: {
        id: row.id,
        createdAt: row.created_at,
        lastActiveAt,
        expiresAt: row.expires_at,
        reauthenticatedAt: row.reauthenticated_at,
      },
      user: userViewFromRow(row),
    };
  }

  /**
   * Re-authentication of a live session: a new token replaces the old one at once (the old one
   * answers 401 from now on) and reauthenticated_at moves to now.
   */
  async reauthenticate(userId: string, sessionId: string): Promise<IssuedSession & { reauthenticatedAt: Date }> {
    const now = this.clock.now();
    const token = generateToken();
    const [rows] = await this.txHost.tx.query(
      `UPDATE sessions SET token_hash = $3, reauthenticated_at = $4, last_active_at = $4
        WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL
        RETURNING expires_at`,
      [sessionId, userId, hashToken(token), now],
    );
    if (rows.length === 0) throw new DomainError('session_expired', { reason: 'revoked' });
    const expiresAt: Date = rows[0].expires_at;
    return { id: sessionId, token, expiresAt, idleExpiresAt: this.idleExpiry(now, expiresAt), reauthenticatedAt: now };
  }

  idleExpiry(lastActiveAt: Date, expiresAt: Date): Date {
    return new Date(Math.min(lastActiveAt.getTime() + this.config.sessionIdleTimeoutMs, expiresAt.getTime()));
  }

  /** Revokes one session of the user; false when it is not theirs or already revoked. */
  async revoke(userId: string, sessionId: string): Promise<boolean> {
    const [, count] = await this.txHost.tx.query(
      'UPDATE sessions SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL',
      [sessionId, userId, this.clock.now()],
    );
    return count > 0;
  }

  /** Revokes every live session of the user, but the one kept; returns how many. */
  async revokeAll(userId: string, keepSessionId?: string): Promise<number> {
    const [, count] = await this.txHost.tx.query(
      `UPDATE sessions SET revoked_at = $2
        WHERE user_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR id <> $3::uuid)`,
      [userId, this.clock.now(), keepSessionId ?? null],
    );
    return count;
  }
}
