import { Injectable, OnModuleInit } from '@nestjs/common';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { Sql } from '../database/sql';
import { Transactional, TransactionHost } from '../database/transactions';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { generateToken, hashToken } from '../common/crypto';
import { BackgroundWork } from '../common/background-work';
import { DomainEvents } from '../common/domain-events';
import { DomainError } from '../common/errors';
import { consumeOneTimeToken } from '../common/one-time-token';
import { AppConfig } from '../config';
import { OutboxService } from '../mail';
import { RateLimiter } from '../rate-limit/rate-limiter.service';
import { IssuedSession, SessionsService } from '../sessions/sessions.service';
import { TwoFactorService } from '../two-factor/two-factor.service';
import { PasswordService } from '../users/password.service';
import { normalizeEmail, UserView, userView } from '../users/user.dto';
import { User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { VerificationService } from '../verification/verification.service';
import type { SessionAuth } from './auth-context';
import { LoginDto, SignupDto } from './auth.dto';
import { PasswordResetToken } from './password-reset-token.entity';

export interface Authenticated {
  user: UserView;
  session: IssuedSession;
}

@Injectable()
export class AuthService implements OnModuleInit {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly txHost: TransactionHost,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly limiter: RateLimiter,
    private readonly twoFactor: TwoFactorService,
    private readonly verification: VerificationService,
    private readonly apiKeys: ApiKeysService,
    private readonly events: DomainEvents,
    private readonly background: BackgroundWork,
    private readonly sql: Sql,
  ) {}

  onModuleInit(): void {
    // A reset link mailed to an address the user has left must not work.
    this.events.on('user.email_changed', async ({ userId }) => {
      await this.txHost.tx.getRepository(PasswordResetToken).delete({ userId });
    });
  }

  async signup(input: SignupDto, client: ClientInfo): Promise<Authenticated> {
    this.passwords.assertAcceptable(input.password, [input.email, input.name ?? '']);
    // Hashing is slow: done before the transaction opens, so no transaction waits on it.
    const passwordHash = await this.passwords.hash(input.password);
    return this.txHost.withTransaction(async () => {
      const user = await this.users.create({ email: input.email, name: input.name, passwordHash });
      await this.verification.issue(user);
      const session = await this.sessions.issue(user, client, 'password', { alertOnNewIp: false });
      await this.audit.record({ action: 'user.signup', actor: user, client, target: `user:${user.id}` });
      return { user: userView(user), session };
    });
  }

  /**
   * Unknown email, missing password and wrong password answer alike and take about as long. Failed
   * attempts count per account; once the limit is reached even the right password waits.
   */
  async login(input: LoginDto, client: ClientInfo): Promise<Authenticated> {
    const email = normalizeEmail(input.email);
    // Every attempt counts until it succeeds; a success is taken back (failures only are limited).
    const attempt = await this.limiter.consume('loginFailuresPerAccount', email);
    const user = await this.users.findByEmail(email);
    const valid = user?.passwordHash
      ? await this.passwords.verify(user.passwordHash, input.password)
      : await this.passwords.verifyNothing(input.password);
    if (!user || !valid) {
      await this.loginFailed(email, user?.id ?? null, user ? 'wrong_password' : 'unknown_email', client);
      throw new DomainError('invalid_credentials');
    }
    if (user.twoFactorEnabled) {
      // The password was right; the second factor decides. A wrong code counts as a failure.
      if (!input.totpCode) {
        // Not a failure: the first step of every two-factor sign-in.
        await this.limiter.refund(attempt);
        throw new DomainError('totp_required');
      }
      if (!(await this.twoFactor.verify(user.id, input.totpCode))) {
        await this.loginFailed(email, user.id, 'wrong_totp', client);
        throw new DomainError('invalid_totp');
      }
    }
    await this.limiter.refund(attempt);
    return this.txHost.withTransaction(async () => {
      const session = await this.sessions.issue(user, client, 'password', { alertOnNewIp: true });
      await this.audit.record({ action: 'user.login', actor: user, client, target: `session:${session.id}` });
      return { user: userView(user), session };
    });
  }

  private async loginFailed(email: string, userId: string | null, reason: string, client: ClientInfo): Promise<void> {
    await this.audit.record({ action: 'user.login_failed', actor: { id: userId, email }, client, details: { reason } });
  }

  @Transactional()
  async logout(auth: SessionAuth, client: ClientInfo): Promise<void> {
    await this.sessions.revoke(auth.user.id, auth.session.id);
    await this.audit.record({ action: 'user.logout', actor: auth.user, client, target: `session:${auth.session.id}` });
  }

  /**
   * A new password for a signed-in user (after step-up): the current session gets a new token,
   * every other session and every reset link dies, and the user gets a mail; all in one transaction.
   */
  async changePassword(auth: SessionAuth, newPassword: string, client: ClientInfo): Promise<IssuedSession> {
    this.passwords.assertAcceptable(newPassword, [auth.user.email, auth.user.name ?? '']);
    const passwordHash = await this.passwords.hash(newPassword);
    return this.txHost.withTransaction(async () => {
      const { user } = auth;
      await this.users.setPasswordHash(user.id, passwordHash);
      const session = await this.sessions.rotate(user.id, auth.session.id);
      const revoked = await this.sessions.revokeAll(user.id, auth.session.id);
      await this.txHost.tx.getRepository(PasswordResetToken).delete({ userId: user.id });
      await this.outbox.enqueue(user.email, 'password-changed', { changedAt: this.clock.now().toUTCString() });
      await this.audit.record({
        action: 'user.password_changed',
        actor: user,
        client,
        target: `user:${user.id}`,
        details: { sessionsRevoked: revoked },
      });
      return session;
    });
  }

  /**
   * Answers the same, in the same time, whether or not the account exists: the link for an existing
   * one is made and queued after the answer.
   */
  async forgotPassword(email: string, client: ClientInfo): Promise<void> {
    const normalized = normalizeEmail(email);
    await this.limiter.consume('passwordForgotPerAccount', normalized);
    const user = await this.users.findByEmail(normalized);
    if (user) this.background.run('password reset link', () => this.sendResetLink(user, client));
  }

  private async sendResetLink(user: User, client: ClientInfo): Promise<void> {
    const token = generateToken();
    const now = this.clock.now();
    await this.txHost.withTransaction(async () => {
      // The answer went out before this ran: if the address changed meanwhile, the old one gets nothing.
      if ((await this.users.findById(user.id))?.email !== user.email) return;
      const tokens = this.txHost.tx.getRepository(PasswordResetToken);
      // Only the newest link works.
      await tokens.delete({ userId: user.id });
      await tokens.insert({
        userId: user.id,
        tokenHash: hashToken(token),
        createdAt: now,
        expiresAt: new Date(now.getTime() + this.config.passwordResetTokenTtlMs),
      });
      const resetUrl = `${this.config.appUrl}/reset-password?token=${encodeURIComponent(token)}`;
      await this.outbox.enqueue(user.email, 'password-reset', {
        resetUrl,
        expiresInMinutes: Math.round(this.config.passwordResetTokenTtlMs / 60_000),
      });
      await this.audit.record({
        action: 'user.password_reset_requested',
        actor: user,
        client,
        target: `user:${user.id}`,
      });
    });
  }

  /** Consumes the token atomically; the new password, the revocation of every session and the mail commit together. */
  async resetPassword(token: string, newPassword: string, client: ClientInfo): Promise<void> {
    this.passwords.assertAcceptable(newPassword);
    const passwordHash = await this.passwords.hash(newPassword);
    const now = this.clock.now();
    await this.txHost.withTransaction(async () => {
      const spent = await consumeOneTimeToken(this.sql, 'password_reset_tokens', token, now);
      const user = await this.users.getById(spent.user_id);
      await this.users.setPasswordHash(user.id, passwordHash);
      const revoked = await this.sessions.revokeAll(user.id);
      // Whoever had the account before the reset may have made keys; they go with the sessions.
      const keysRevoked = await this.apiKeys.revokeAll(user.id);
      await this.txHost.tx.getRepository(PasswordResetToken).delete({ userId: user.id });
      await this.outbox.enqueue(user.email, 'password-changed', { changedAt: now.toUTCString() });
      await this.audit.record({
        action: 'user.password_reset',
        actor: user,
        client,
        target: `user:${user.id}`,
        details: { sessionsRevoked: revoked, apiKeysRevoked: keysRevoked },
      });
    });
  }
}
