import { Injectable } from '@nestjs/common';
import { Transactional, TransactionHost } from '../database/transactions';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { generateSessionToken, hashToken } from '../common/crypto';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { AuditService } from '../audit/audit.service';
import { OutboxService } from '../mail';
import { ipSubject } from '../rate-limit/ip-subject';
import type { SessionContext, UserView } from '../http';
import type { SessionRevocationReason } from '../webhooks/webhook-events';
import { WebhooksService } from '../webhooks/webhooks.service';
import { deviceName } from './device-name';
import type { AuthMethod } from './session.entity';
import { ResolvedSession, SessionAuthentication, SessionsRepository } from './sessions.repository';

export type { AuthMethod, SessionAuthentication };
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

/** One of the user's live sessions, as the listing shows it. */
export interface SessionListing {
  id: string;
  current: boolean;
  ip: string;
  userAgent: string;
  deviceName: string;
  authMethod: AuthMethod;
  createdAt: Date;
  lastActiveAt: Date;
  expiresAt: Date;
  reauthenticatedAt: Date;
}

/** A live session found by its token, as introspection reports it. */
export interface InspectedSession {
  sessionId: string;
  user: UserView;
  /** When the token stops working unless used again: the idle timeout, the absolute one, or a rotation's grace. */
  expiresAt: Date;
  /** The session's last authentication: its sign-in or its latest confirmation. */
  authenticatedAt: Date;
}

/** Live sessions per user; signing in beyond it revokes the oldest. */
export const MAX_SESSIONS_PER_USER = 100;
/** Addresses remembered per user for new-sign-in alerts. */
export const KNOWN_IPS_PER_USER = 20;

/**
 * How long the token a step-up or role-change rotation replaced keeps working for its own session,
 * so that a client's requests already in flight when the token changed are not signed out; after
 * it, that token answers 401 session_expired with reason "rotated" (a password change's at once).
 * A rotation by a request presenting the old token fails (it no longer holds the session's token:
 * 409 session_rotated).
 */
export const ROTATION_GRACE_MS = 30_000;

/** What a replaced token's request sees as its re-authentication: none, so step-up routes refuse it. */
const NEVER_REAUTHENTICATED = new Date(0);

@Injectable()
export class SessionsService {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly txHost: TransactionHost,
    private readonly sessions: SessionsRepository,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly webhooks: WebhooksService,
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
    {
      alertOnNewIp,
      amr = [],
      ssoConnectionId = null,
    }: { alertOnNewIp: boolean; amr?: readonly string[]; ssoConnectionId?: string | null },
  ): Promise<IssuedSession> {
    const userId = user.id;
    const now = this.clock.now();
    const device = deviceName(client.userAgent);
    const token = generateSessionToken();
    const expiresAt = new Date(now.getTime() + this.config.sessionAbsoluteTimeoutMs);
    const ip = client.ip.slice(0, 45);
    const id = await this.sessions.insert({
      userId,
      tokenHash: hashToken(token),
      authMethod,
      ip,
      userAgent: client.userAgent,
      deviceName: device,
      createdAt: now,
      expiresAt,
      amr,
      ssoConnectionId,
    });
    // The account was erased between the password check and now: it is as if it never existed.
    if (!id) throw new DomainError('invalid_credentials');
    // The new session always stays; of the others, the newest MAX − 1 do.
    const pushedOut = await this.sessions.revokeBeyondNewest(userId, id, MAX_SESSIONS_PER_USER - 1, now);
    if (pushedOut > 0)
      await this.webhooks.emit('session.revoked', { userId, count: pushedOut, reason: 'session_limit' });
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

  /**
   * Whether the user signed in from this address before: one of the KNOWN_IPS_PER_USER they used
   * last (an IPv6 address counts as its /64, as the rate limits count it).
   */
  async hasSignedInFrom(userId: string, ip: string): Promise<boolean> {
    const subject = ipSubject(ip);
    return (await this.sessions.knownIps(userId)).some((known) => ipSubject(known.ip) === subject);
  }

  /** Records the address; true when the user had never signed in from it. Keeps the newest KNOWN_IPS_PER_USER. */
  private async rememberIp(userId: string, ip: string, now: Date): Promise<boolean> {
    const inserted = await this.sessions.rememberIp(userId, ip, now);
    if (inserted) await this.sessions.forgetIpsBeyondNewest(userId, KNOWN_IPS_PER_USER);
    return inserted;
  }

  /**
   * Resolves a token: unknown → unauthenticated; revoked or past a timeout → session_expired with
   * its reason. Writes last_active_at at most once per SESSION_TOUCH_INTERVAL. The token a step-up
   * or role-change rotation replaced passes for ROTATION_GRACE_MS, never as a step-up (a password
   * change's not at all); with `acceptReplaced` (signing out) it passes after that too, so its holder
   * can still end the session.
   */
  async authenticate(token: string, { acceptReplaced = false } = {}): Promise<AuthenticatedSession> {
    const tokenHash = hashToken(token);
    const current = await this.sessions.resolve(tokenHash);
    const replaced = current ? undefined : await this.sessions.resolvePrevious(tokenHash);
    const resolved = current ?? replaced;
    if (!resolved) throw new DomainError('unauthenticated');
    const { session, user } = resolved;
    const now = this.clock.now();
    if (session.revokedAt) throw new DomainError('session_expired', { reason: 'revoked' });
    if (now >= session.expiresAt) throw new DomainError('session_expired', { reason: 'absolute' });
    if (now.getTime() - session.lastActiveAt.getTime() >= this.config.sessionIdleTimeoutMs) {
      throw new DomainError('session_expired', { reason: 'idle' });
    }
    if (replaced) {
      // The token a rotation replaced: requests already in flight with it still pass, briefly.
      const graceOver = !replaced.grace || now.getTime() - replaced.rotatedAt.getTime() > ROTATION_GRACE_MS;
      if (!acceptReplaced && graceOver) {
        throw new DomainError('session_expired', { reason: 'rotated' });
      }
      // Never a step-up, though: a rotation after a confirmation must not leave the old token confirmed.
      const context = this.context(session, session.lastActiveAt, tokenHash);
      return { session: { ...context, reauthenticatedAt: NEVER_REAUTHENTICATED }, user };
    }
    if (session.rotationRequired) return this.rotateOnRequest(resolved, tokenHash, now);
    let lastActiveAt = session.lastActiveAt;
    if (now.getTime() - lastActiveAt.getTime() >= this.config.sessionTouchIntervalMs) {
      lastActiveAt = now;
      await this.sessions.touch(session.id, now, new Date(now.getTime() - this.config.sessionTouchIntervalMs + 1));
    }
    return { session: this.context(session, lastActiveAt, tokenHash), user };
  }

  /**
   * The token's session if the token works now, judged as authenticate judges it (revocation, both
   * timeouts, a replaced token's grace), without touching the session: no last-active write and no
   * rotation, so asking about a token (introspection) never keeps it alive or changes it.
   */
  async inspect(token: string): Promise<InspectedSession | undefined> {
    const tokenHash = hashToken(token);
    const current = await this.sessions.resolve(tokenHash);
    const replaced = current ? undefined : await this.sessions.resolvePrevious(tokenHash);
    const resolved = current ?? replaced;
    if (!resolved) return undefined;
    const { session, user } = resolved;
    const now = this.clock.now();
    if (session.revokedAt || now >= session.expiresAt) return undefined;
    if (now.getTime() - session.lastActiveAt.getTime() >= this.config.sessionIdleTimeoutMs) return undefined;
    let expiresAt = this.idleExpiry(session.lastActiveAt, session.expiresAt);
    if (replaced) {
      const graceEnds = replaced.rotatedAt.getTime() + ROTATION_GRACE_MS;
      if (!replaced.grace || now.getTime() > graceEnds) return undefined;
      expiresAt = new Date(Math.min(expiresAt.getTime(), graceEnds));
      // Never the confirmation that replaced it: its authentication is the sign-in.
      return { sessionId: session.id, user, expiresAt, authenticatedAt: session.createdAt };
    }
    return { sessionId: session.id, user, expiresAt, authenticatedAt: session.reauthenticatedAt };
  }

  private context(session: ResolvedSession['session'], lastActiveAt: Date, tokenHash: Buffer): SessionContext {
    const { id, createdAt, expiresAt, reauthenticatedAt } = session;
    return { id, createdAt, lastActiveAt, expiresAt, reauthenticatedAt, tokenHash };
  }

  /**
   * The first request after a privilege change swaps the token. The swap is conditional on the old
   * token, so of two concurrent requests one rotates and the other, already in, goes on without.
   */
  private async rotateOnRequest(
    { session, user }: ResolvedSession,
    tokenHash: Buffer,
    now: Date,
  ): Promise<AuthenticatedSession> {
    const rotatedToken = generateSessionToken();
    const rotatedHash = hashToken(rotatedToken);
    const rotated = await this.sessions.rotateRequested(session.id, tokenHash, rotatedHash, now);
    return {
      session: this.context(session, now, rotated ? rotatedHash : tokenHash),
      user,
      ...(rotated ? { rotated: { token: rotatedToken, expiresAt: session.expiresAt } } : {}),
    };
  }

  /** Marks every live session of the user for rotation on its next request (their role changed). */
  async requireRotation(userId: string): Promise<void> {
    await this.sessions.requireRotation(userId);
  }

  /** The user's live sessions, most recently active first. */
  async list(userId: string, currentSessionId: string): Promise<SessionListing[]> {
    const now = this.clock.now();
    const sessions = await this.sessions.listLive(
      userId,
      now,
      new Date(now.getTime() - this.config.sessionIdleTimeoutMs),
    );
    return sessions.map((s) => ({
      id: s.id,
      current: s.id === currentSessionId,
      ip: s.ip,
      userAgent: s.userAgent,
      deviceName: s.deviceName,
      authMethod: s.authMethod,
      createdAt: s.createdAt,
      lastActiveAt: s.lastActiveAt,
      expiresAt: s.expiresAt,
      reauthenticatedAt: s.reauthenticatedAt,
    }));
  }

  /**
   * When each user last signed in: every session issued (sign-in or signup) records its address's
   * last_seen_at, and those records outlive the sessions (the newest KNOWN_IPS_PER_USER are kept).
   * Users who never signed in are absent.
   */
  lastSignInAt(userIds: string[]): Promise<Map<string, Date>> {
    return userIds.length === 0 ? Promise.resolve(new Map()) : this.sessions.lastSeen(userIds);
  }

  /** Whether the session is the user's and live; the lookup carries the owner, so another user's id is simply absent. */
  async isOwnLiveSession(userId: string, sessionId: string): Promise<boolean> {
    return this.sessions.isOwnLive(userId, sessionId, this.clock.now());
  }

  /**
   * Re-authentication of a live session: a new token replaces the old one at once (the old one
   * answers 401 from now on) and reauthenticated_at moves to now. With `presentedTokenHash` (the
   * request's own token), only while the session still holds that token: of concurrent requests
   * presenting one token, one replaces it and the others answer 409 session_rotated. `amr` (what the
   * confirmation proved) joins the session's references; `ssoConnectionId` (an SSO connection that
   * confirmed it) becomes the session's connection.
   */
  async reauthenticate(
    userId: string,
    sessionId: string,
    presentedTokenHash?: Buffer,
    amr: readonly string[] = [],
    ssoConnectionId: string | null = null,
  ): Promise<IssuedSession & { reauthenticatedAt: Date }> {
    const now = this.clock.now();
    const session = await this.replaceToken(
      userId,
      sessionId,
      now,
      { reauthenticated: true, grace: true, amr, ssoConnectionId },
      presentedTokenHash,
    );
    return { ...session, reauthenticatedAt: now };
  }

  /**
   * A new token for a live session (after a password change), while it still holds the presented
   * token (else 409 session_rotated); the old token is dead at once, without the rotation grace:
   * whoever else held it must not keep the session for a moment longer.
   */
  rotate(userId: string, sessionId: string, presentedTokenHash: Buffer): Promise<IssuedSession> {
    const options = { reauthenticated: false, grace: false, amr: [] };
    return this.replaceToken(userId, sessionId, this.clock.now(), options, presentedTokenHash);
  }

  /**
   * What a session proved (RFC 8176 `amr`, its sign-in's and every confirmation's), when it last
   * authenticated (sign-in or confirmation: an access token's `auth_time`), when it last proved a
   * second factor, and the SSO connection that last signed it in or confirmed it. With the token a
   * request presented, `currentToken` says whether it is still the session's (not one a rotation
   * replaced). One query by primary key; undefined for no such session.
   */
  authenticationOf(sessionId: string, presentedTokenHash?: Buffer): Promise<SessionAuthentication | undefined> {
    return this.sessions.authentication(sessionId, presentedTokenHash ?? null);
  }

  private async replaceToken(
    userId: string,
    sessionId: string,
    now: Date,
    options: { reauthenticated: boolean; grace: boolean; amr: readonly string[]; ssoConnectionId?: string | null },
    presentedTokenHash: Buffer | undefined,
  ): Promise<IssuedSession> {
    const token = generateSessionToken();
    const replaced = await this.sessions.replaceToken(
      userId,
      sessionId,
      hashToken(token),
      now,
      options,
      presentedTokenHash ?? null,
    );
    if (!replaced) {
      // The session lives on under a token another request just gave it: that one is the current one.
      if (presentedTokenHash && (await this.sessions.isOwnLive(userId, sessionId, now))) {
        throw new DomainError('session_rotated');
      }
      throw new DomainError('session_expired', { reason: 'revoked' });
    }
    const { expiresAt } = replaced;
    return { id: sessionId, token, expiresAt, idleExpiresAt: this.idleExpiry(now, expiresAt) };
  }

  idleExpiry(lastActiveAt: Date, expiresAt: Date): Date {
    return new Date(Math.min(lastActiveAt.getTime() + this.config.sessionIdleTimeoutMs, expiresAt.getTime()));
  }

  /** The user signs one of their sessions out (the owner guard has checked it is theirs). */
  @Transactional()
  async revokeByUser(user: Pick<UserView, 'id' | 'email'>, sessionId: string, client: ClientInfo): Promise<void> {
    await this.revoke(user.id, sessionId, 'revoked');
    await this.audit.record({ action: 'session.revoked', actor: user, client, target: `session:${sessionId}` });
  }

  /** "Sign out everywhere": every session but the current one; answers how many. */
  @Transactional()
  async revokeOthersByUser(
    user: Pick<UserView, 'id' | 'email'>,
    currentSessionId: string,
    client: ClientInfo,
  ): Promise<number> {
    const revoked = await this.revokeAll(user.id, currentSessionId, 'signed_out_elsewhere');
    await this.audit.record({
      action: 'session.revoked_all_others',
      actor: user,
      client,
      target: `session:${currentSessionId}`,
      details: { revoked },
    });
    return revoked;
  }

  /**
   * Revokes one session of the user; false when it is not theirs or already revoked. The product
   * hears `session.revoked` (webhooks) with the reason, in the caller's transaction.
   */
  async revoke(userId: string, sessionId: string, reason: SessionRevocationReason): Promise<boolean> {
    const revoked = await this.sessions.revoke(userId, sessionId, this.clock.now());
    if (revoked) await this.webhooks.emit('session.revoked', { userId, sessionId, reason });
    return revoked;
  }

  /**
   * Revokes the user's live sessions signed in otherwise than through SSO (SSO became the only way
   * in: an enforced domain refuses a password, a passkey and a mailed link alike); returns how many.
   */
  async revokePasswordSessions(userId: string): Promise<number> {
    const count = await this.sessions.revokeByMethod(userId, ['password', 'passkey', 'email'], this.clock.now());
    if (count > 0) await this.webhooks.emit('session.revoked', { userId, count, reason: 'sso_enforced' });
    return count;
  }

  /** Revokes every live session of the user, but the one kept; returns how many (`session.revoked` says so, with the reason). */
  async revokeAll(
    userId: string,
    keepSessionId?: string,
    reason: SessionRevocationReason = 'revoked',
  ): Promise<number> {
    const count = await this.sessions.revokeAll(userId, this.clock.now(), keepSessionId);
    if (count > 0) await this.webhooks.emit('session.revoked', { userId, count, reason });
    return count;
  }
}
