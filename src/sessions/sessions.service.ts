import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Transactional, TransactionHost } from '../database/transactions';
import { DataSource, IsNull, MoreThan } from 'typeorm';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { generateSessionToken, hashToken } from '../common/crypto';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { AuditService } from '../audit/audit.service';
import { Sql } from '../database/sql';
import { OutboxService } from '../mail';
import { USER_VIEW_COLUMNS, userViewFromRow, UserViewRow } from '../users/user.dto';
import { deviceName } from './device-name';
import { AuthMethod, Session } from './session.entity';
import type { SessionContext, UserView } from '../http';

/** What a login or signup answers about the session it opened. */
export interface IssuedSession {
  id: string;
  token: string;
  expiresAt: Date;
  idleExpiresAt: Date;
}

export interface AuthenticatedSession {
  user: UserView;
  session: SessionContext;
  /** A new token replacing the one presented, when a privilege change asked for rotation. */
  rotated?: { token: string; expiresAt: Date };
}

/** The Session object of API.md's listing. */
export interface SessionListing {
  id: string;
  current: boolean;
  ip: string;
  userAgent: string;
  deviceName: string;
  authMethod: AuthMethod;
  createdAt: string;
  lastActiveAt: string;
  expiresAt: string;
  reauthenticatedAt: string;
}

/** Live sessions per user; signing in beyond it revokes the oldest. */
export const MAX_SESSIONS_PER_USER = 100;
/** Addresses remembered per user for new-sign-in alerts. */
export const KNOWN_IPS_PER_USER = 20;

/**
 * The hot path: the token's hash finds the session and its user in one indexed query (a read-only
 * join of the users table that this module owns by exception, see ARCHITECTURE.md).
 */
const RESOLVE_SQL = `
  SELECT s.id, s.created_at, s.last_active_at, s.expires_at, s.reauthenticated_at, s.revoked_at,
         s.rotation_required, ${USER_VIEW_COLUMNS}
    FROM sessions s JOIN users u ON u.id = s.user_id
   WHERE s.token_hash = $1`;

interface ResolvedRow extends UserViewRow {
  id: string;
  created_at: Date;
  last_active_at: Date;
  expires_at: Date;
  reauthenticated_at: Date;
  revoked_at: Date | null;
  rotation_required: boolean;
}

@Injectable()
export class SessionsService {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly txHost: TransactionHost,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
    private readonly sql: Sql,
    private readonly audit: AuditService,
  ) {}

  /**
   * Opens a session for a user who just authenticated (signup and login count), revoking the oldest
   * beyond MAX_SESSIONS_PER_USER. A sign-in from an address the user never used mails them, unless
   * it is the account's first (signup).
   */
  async issue(
    user: Pick<UserView, 'id' | 'email'>,
    client: ClientInfo,
    authMethod: AuthMethod,
    { alertOnNewIp }: { alertOnNewIp: boolean },
  ): Promise<IssuedSession> {
    const userId = user.id;
    const now = this.clock.now();
    const device = deviceName(client.userAgent);
    const token = generateSessionToken();
    const expiresAt = new Date(now.getTime() + this.config.sessionAbsoluteTimeoutMs);
    const ip = client.ip.slice(0, 45);
    const { identifiers } = await this.txHost.tx.getRepository(Session).insert({
      userId,
      tokenHash: hashToken(token),
      authMethod,
      ip,
      userAgent: client.userAgent,
      deviceName: device,
      createdAt: now,
      lastActiveAt: now,
      expiresAt,
      reauthenticatedAt: now,
    });
    const id = identifiers[0].id as string;
    // The new session always stays; of the others, the newest MAX − 1 do.
    await this.txHost.tx.query(
      `UPDATE sessions SET revoked_at = $2 WHERE id IN (
         SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND id <> $4
          ORDER BY created_at DESC, id OFFSET $3)`,
      [userId, now, MAX_SESSIONS_PER_USER - 1, id],
    );
    if ((await this.rememberIp(userId, ip, now)) && alertOnNewIp) {
      await this.outbox.enqueue(user.email, 'new-sign-in', {
        ip,
        device,
        time: now.toUTCString(),
        sessionsUrl: `${this.config.appUrl}/settings/sessions`,
      });
    }
    return { id, token, expiresAt, idleExpiresAt: this.idleExpiry(now, expiresAt) };
  }

  /** Records the address; true when the user had never signed in from it. Keeps the newest KNOWN_IPS_PER_USER. */
  private async rememberIp(userId: string, ip: string, now: Date): Promise<boolean> {
    const [row] = await this.txHost.tx.query(
      `INSERT INTO known_ips (user_id, ip, last_seen_at) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, ip) DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at
       RETURNING (xmax = 0) AS inserted`,
      [userId, ip, now],
    );
    if (row.inserted) {
      await this.txHost.tx.query(
        `DELETE FROM known_ips WHERE user_id = $1 AND ip IN (
           SELECT ip FROM known_ips WHERE user_id = $1 ORDER BY last_seen_at DESC OFFSET $2)`,
        [userId, KNOWN_IPS_PER_USER],
      );
    }
    return row.inserted;
  }

  /**
   * Resolves a token: unknown → unauthenticated; revoked or past a timeout → session_expired with
   * its reason. Writes last_active_at at most once per SESSION_TOUCH_INTERVAL.
   */
  async authenticate(token: string): Promise<AuthenticatedSession> {
    const rows = await this.sql.prepared<ResolvedRow>('resolve_session', RESOLVE_SQL, [hashToken(token)]);
    const row = rows[0];
    if (!row) throw new DomainError('unauthenticated');
    const now = this.clock.now();
    if (row.revoked_at) throw new DomainError('session_expired', { reason: 'revoked' });
    if (now >= row.expires_at) throw new DomainError('session_expired', { reason: 'absolute' });
    if (now.getTime() - row.last_active_at.getTime() >= this.config.sessionIdleTimeoutMs) {
      throw new DomainError('session_expired', { reason: 'idle' });
    }
    if (row.rotation_required) return this.rotateOnRequest(row, token, now);
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
   * The first request after a privilege change swaps the token. The swap is conditional on the old
   * token, so of two concurrent requests one rotates and the other, already in, goes on without.
   */
  private async rotateOnRequest(row: ResolvedRow, token: string, now: Date): Promise<AuthenticatedSession> {
    const rotatedToken = generateSessionToken();
    const [, count] = await this.dataSource.query(
      `UPDATE sessions SET token_hash = $3, rotation_required = false, last_active_at = $4
        WHERE id = $1 AND token_hash = $2 AND rotation_required`,
      [row.id, hashToken(token), hashToken(rotatedToken), now],
    );
    return {
      session: {
        id: row.id,
        createdAt: row.created_at,
        lastActiveAt: now,
        expiresAt: row.expires_at,
        reauthenticatedAt: row.reauthenticated_at,
      },
      user: userViewFromRow(row),
      ...(count > 0 ? { rotated: { token: rotatedToken, expiresAt: row.expires_at } } : {}),
    };
  }

  /** Marks every live session of the user for rotation on its next request (their role changed). */
  async requireRotation(userId: string): Promise<void> {
    await this.txHost.tx.query(
      'UPDATE sessions SET rotation_required = true WHERE user_id = $1 AND revoked_at IS NULL',
      [userId],
    );
  }

  /** The user's live sessions, most recently active first. */
  async list(userId: string, currentSessionId: string): Promise<SessionListing[]> {
    const now = this.clock.now();
    const sessions = await this.txHost.tx.getRepository(Session).find({
      where: {
        userId,
        revokedAt: IsNull(),
        expiresAt: MoreThan(now),
        lastActiveAt: MoreThan(new Date(now.getTime() - this.config.sessionIdleTimeoutMs)),
      },
      order: { lastActiveAt: 'DESC', createdAt: 'DESC' },
    });
    return sessions.map((s) => ({
      id: s.id,
      current: s.id === currentSessionId,
      ip: s.ip,
      userAgent: s.userAgent,
      deviceName: s.deviceName,
      authMethod: s.authMethod,
      createdAt: s.createdAt.toISOString(),
      lastActiveAt: s.lastActiveAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
      reauthenticatedAt: s.reauthenticatedAt.toISOString(),
    }));
  }

  /** Whether the session is the user's and live; the lookup carries the owner, so another user's id is simply absent. */
  async isOwnLiveSession(userId: string, sessionId: string): Promise<boolean> {
    const rows = await this.txHost.tx.query(
      'SELECT 1 FROM sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3',
      [sessionId, userId, this.clock.now()],
    );
    return rows.length > 0;
  }

  /**
   * Re-authentication of a live session: a new token replaces the old one at once (the old one
   * answers 401 from now on) and reauthenticated_at moves to now.
   */
  async reauthenticate(userId: string, sessionId: string): Promise<IssuedSession & { reauthenticatedAt: Date }> {
    const now = this.clock.now();
    return { ...(await this.replaceToken(userId, sessionId, now, true)), reauthenticatedAt: now };
  }

  /** A new token for a live session (after a password change); the old token is dead at once. */
  rotate(userId: string, sessionId: string): Promise<IssuedSession> {
    return this.replaceToken(userId, sessionId, this.clock.now(), false);
  }

  private async replaceToken(
    userId: string,
    sessionId: string,
    now: Date,
    reauthenticated: boolean,
  ): Promise<IssuedSession> {
    const token = generateSessionToken();
    const [rows] = await this.txHost.tx.query(
      `UPDATE sessions
          SET token_hash = $3, last_active_at = $4, rotation_required = false,
              reauthenticated_at = CASE WHEN $5 THEN $4 ELSE reauthenticated_at END
        WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL
        RETURNING expires_at`,
      [sessionId, userId, hashToken(token), now, reauthenticated],
    );
    if (rows.length === 0) throw new DomainError('session_expired', { reason: 'revoked' });
    const expiresAt: Date = rows[0].expires_at;
    return { id: sessionId, token, expiresAt, idleExpiresAt: this.idleExpiry(now, expiresAt) };
  }

  idleExpiry(lastActiveAt: Date, expiresAt: Date): Date {
    return new Date(Math.min(lastActiveAt.getTime() + this.config.sessionIdleTimeoutMs, expiresAt.getTime()));
  }

  /** The user signs one of their sessions out (the owner guard has checked it is theirs). */
  @Transactional()
  async revokeByUser(user: Pick<UserView, 'id' | 'email'>, sessionId: string, client: ClientInfo): Promise<void> {
    await this.revoke(user.id, sessionId);
    await this.audit.record({ action: 'session.revoked', actor: user, client, target: `session:${sessionId}` });
  }

  /** "Sign out everywhere": every session but the current one; answers how many. */
  @Transactional()
  async revokeOthersByUser(
    user: Pick<UserView, 'id' | 'email'>,
    currentSessionId: string,
    client: ClientInfo,
  ): Promise<number> {
    const revoked = await this.revokeAll(user.id, currentSessionId);
    await this.audit.record({
      action: 'session.revoked_all_others',
      actor: user,
      client,
      target: `session:${currentSessionId}`,
      details: { revoked },
    });
    return revoked;
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
