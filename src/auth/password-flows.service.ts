import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { BackgroundWork } from '../common/background-work';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { generateToken } from '../common/crypto';
import { DomainEvents, OnDomainEvent } from '../common/domain-events';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { TransactionHost } from '../database/transactions';
import type { SessionAuth } from '../http';
import { OutboxService } from '../mail';
import { RateLimiter } from '../rate-limit/rate-limiter.service';
import { IssuedSession, SessionsService } from '../sessions/sessions.service';
import { SsoEnforcementService } from '../sso/sso-enforcement.service';
import { PasswordService } from '../users/password.service';
import { normalizeEmail } from '../users/user.dto';
import type { UserRecord } from '../users/user-record';
import { UsersService } from '../users/users.service';
import { AuthRepository } from './auth.repository';

/**
 * Every way a password is replaced: changed by the signed-in user, or reset through a mailed link.
 * Either way the old credentials' holders are signed out (DomainEvents: user.password_changed).
 */
@Injectable()
export class PasswordFlowsService {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly txHost: TransactionHost,
    private readonly repository: AuthRepository,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly limiter: RateLimiter,
    private readonly events: DomainEvents,
    private readonly background: BackgroundWork,
    private readonly sso: SsoEnforcementService,
  ) {}

  /** A reset link mailed to an address the user has left must not work. */
  @OnDomainEvent('user.email_changed')
  async forgetResetLinks({ userId }: { userId: string }): Promise<void> {
    await this.repository.deleteResetTokens(userId);
  }

  /** Nor one mailed to an address an undone email change had moved to. */
  @OnDomainEvent('user.email_change_reverted')
  async forgetResetLinksOfAbandonedAddress({ userId }: { userId: string }): Promise<void> {
    await this.repository.deleteResetTokens(userId);
  }

  /**
   * A new password for a signed-in user (after step-up): the current session gets a new token,
   * every other session and every reset link dies, and the user gets a mail; all in one transaction.
   * API keys stay unless `revokeApiKeys`: the user who made them is the one changing the password,
   * and only they know whether the old one leaked.
   */
  async changePassword(
    auth: SessionAuth,
    newPassword: string,
    client: ClientInfo,
    { revokeApiKeys = false }: { revokeApiKeys?: boolean } = {},
  ): Promise<IssuedSession> {
    // Where SSO is enforced, no member sets a password but an owner of the organization (break-glass).
    await this.sso.assertPasswordAllowed(auth.user.email, { breakGlassUserId: auth.user.id });
    await this.passwords.assertAcceptable(newPassword, [auth.user.email, auth.user.name ?? '']);
    const passwordHash = await this.passwords.hash(newPassword);
    return this.txHost.withTransaction(async () => {
      const { user } = auth;
      await this.users.setPasswordHash(user.id, passwordHash);
      const session = await this.sessions.rotate(user.id, auth.session.id, auth.session.tokenHash);
      await this.repository.deleteResetTokens(user.id);
      await this.events.emit('user.password_changed', {
        userId: user.id,
        email: user.email,
        keepSessionId: auth.session.id,
        reset: false,
        revokeApiKeys,
        client,
      });
      await this.outbox.enqueue(user.email, 'password-changed', { changedAt: this.clock.now().toUTCString() });
      await this.audit.record({ action: 'user.password_changed', actor: user, client, target: `user:${user.id}` });
      return session;
    });
  }

  /**
   * Makes the account passwordless (after step-up): it signs in with its passkeys (or a mailed link),
   * a password login answers as a wrong password does, and forgot-password mails nothing. Only an
   * account with a passkey may: 409 passkey_required otherwise. Reset links die with the password,
   * and every other session ends (the password may be gone because it leaked).
   */
  async removePassword(auth: SessionAuth, client: ClientInfo): Promise<void> {
    const { user } = auth;
    if (!user.hasPasskey) throw new DomainError('passkey_required');
    await this.txHost.withTransaction(async () => {
      await this.users.clearPassword(user.id);
      await this.repository.deleteResetTokens(user.id);
      // As for a change: whoever signed in with the password elsewhere is signed out.
      await this.events.emit('user.password_changed', {
        userId: user.id,
        email: user.email,
        keepSessionId: auth.session.id,
        reset: false,
        revokeApiKeys: false,
        client,
      });
      await this.audit.record({ action: 'user.password_removed', actor: user, client, target: `user:${user.id}` });
    });
  }

  /**
   * Answers the same, in the same time, whether or not the account exists: the link for an existing
   * one is made and queued after the answer. An SSO-enforced domain answers sso_required, whoever
   * asks (the domain's enforcement is public; whether an address has an account is not).
   */
  async forgotPassword(email: string, client: ClientInfo): Promise<void> {
    const normalized = normalizeEmail(email);
    await this.sso.assertPasswordAllowed(normalized);
    await this.limiter.consume('passwordForgotPerAccount', normalized);
    const user = await this.users.findByEmail(normalized);
    if (user) this.background.run('password reset link', () => this.sendResetLink(user, client));
  }

  private async sendResetLink(user: UserRecord, client: ClientInfo): Promise<void> {
    const token = generateToken();
    const now = this.clock.now();
    await this.txHost.withTransaction(async () => {
      // The answer went out before this ran: if the address changed meanwhile, the old one gets nothing.
      const current = await this.users.findById(user.id);
      if (current?.email !== user.email) return;
      // An address the account moved to and has not verified may be someone else's: its holder
      // would get a way into this account. The account's owner verifies the address first.
      if (current.previousEmail !== null) return;
      // A passwordless account signs in with its passkeys: a mailbox does not add a password beside them.
      if (!current.hasPassword && current.hasPasskey) return;
      const expiresAt = new Date(now.getTime() + this.config.passwordResetTokenTtlMs);
      await this.repository.replaceResetToken(user.id, token, now, expiresAt);
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

  /**
   * Consumes the token atomically; the new password, the revocation of every session and the mail
   * commit together. Without a live token nothing else runs (the strength check and the hash cost
   * CPU); a weak password leaves the token unspent.
   */
  async resetPassword(token: string, newPassword: string, client: ClientInfo): Promise<void> {
    const now = this.clock.now();
    if (!(await this.repository.resetTokenIsLive(token, now))) throw new DomainError('invalid_token');
    await this.passwords.assertAcceptable(newPassword);
    const passwordHash = await this.passwords.hash(newPassword);
    await this.txHost.withTransaction(async () => {
      const user = await this.users.getById(await this.repository.consumeResetToken(token, now));
      // A link mailed before the domain's SSO was enforced resets nothing since (rolled back, unspent).
      await this.sso.assertPasswordAllowed(user.email);
      await this.users.setPasswordHash(user.id, passwordHash);
      await this.repository.deleteResetTokens(user.id);
      // Every session ends, and (a reset) so do API keys: whoever had the account before may have made them.
      await this.events.emit('user.password_changed', {
        userId: user.id,
        email: user.email,
        keepSessionId: null,
        reset: true,
        revokeApiKeys: true,
        client,
      });
      await this.outbox.enqueue(user.email, 'password-changed', { changedAt: now.toUTCString() });
      await this.audit.record({ action: 'user.password_reset', actor: user, client, target: `user:${user.id}` });
    });
  }
}
