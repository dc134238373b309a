import { Injectable } from '@nestjs/common';
import { Transactional, TransactionHost } from '../database/transactions';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { CredentialPolicy } from '../common/credential-policy';
import { Clock } from '../common/clock';
import { generateToken, hashToken } from '../common/crypto';
import { DomainEvents } from '../common/domain-events';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { OutboxService } from '../mail';
import { RateLimiter } from '../rate-limit/rate-limiter.service';
import type { RateLimitName } from '../rate-limit/rate-limits';
import { normalizeEmail, userView } from '../users/user.dto';
import { UsersService } from '../users/users.service';
import { maskEmail } from './mask-email';
import { VerificationRepository } from './verification.repository';
import type { UserView } from '../http';

@Injectable()
export class VerificationService {
  constructor(
    private readonly txHost: TransactionHost,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly users: UsersService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly limiter: RateLimiter,
    private readonly events: DomainEvents,
    private readonly tokens: VerificationRepository,
    private readonly policy: CredentialPolicy,
  ) {}

  /**
   * A new token for the user's current address, replacing any earlier one, and its mail, in the
   * caller's transaction (signup, resend, email change).
   */
  async issue(user: Pick<UserView, 'id' | 'email'>): Promise<void> {
    const token = generateToken();
    const now = this.clock.now();
    await this.tokens.deleteForUser(user.id);
    await this.tokens.insert({
      userId: user.id,
      email: user.email,
      tokenHash: hashToken(token),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.verificationTokenTtlMs),
    });
    await this.outbox.enqueue(user.email, 'verify-email', {
      verifyUrl: `${this.config.appUrl}/verify-email?token=${encodeURIComponent(token)}`,
      expiresInHours: Math.max(1, Math.round(this.config.verificationTokenTtlMs / 3_600_000)),
    });
  }

  /** Consumes the token atomically; it verifies the address it was issued for, and only that one. */
  @Transactional()
  async verify(token: string, client: ClientInfo): Promise<UserView> {
    const { userId, email } = await this.tokens.consume(token, this.clock.now());
    if (!(await this.users.markEmailVerified(userId, email))) throw new DomainError('invalid_token');
    const user = await this.users.getById(userId);
    await this.audit.record({ action: 'user.email_verified', actor: user, client, target: `user:${userId}` });
    return userView(user);
  }

  /**
   * already_verified is answered before the limits, so it never spends one. Limited per user and,
   * since an address can pass from one account to another, per address as well.
   */
  async resend(user: UserView): Promise<void> {
    if (user.emailVerifiedAt) throw new DomainError('already_verified');
    // A resend refused by the hourly limit spends nothing of the per-minute one.
    await this.limiter.assertNotExhausted('resendVerificationPerHour', user.id);
    await this.mailingWithin(
      [
        ['resendVerificationPerMinute', user.id],
        ['resendVerificationPerHour', user.id],
        ['verificationMailsPerAddress', user.email],
      ],
      () => this.txHost.withTransaction(() => this.issue(user)),
    );
  }

  /**
   * The new address replaces the old at once, unverified; the old address's pending tokens die,
   * the new one gets a verification mail and the old one a notice. Limited per user and per new
   * address (someone else's inbox, until it is verified); a change refused for any other reason
   * (email_taken) spends nothing.
   */
  async changeEmail(user: UserView, email: string, client: ClientInfo): Promise<UserView> {
    if (normalizeEmail(email) === user.email) throw new DomainError('email_taken');
    await this.policy.assertAddressChangeAllowed(user, normalizeEmail(email));
    return this.mailingWithin(
      [
        ['emailChangesPerUser', user.id],
        ['verificationMailsPerAddress', normalizeEmail(email)],
      ],
      () => this.txHost.withTransaction(() => this.moveToAddress(user, email, client)),
    );
  }

  /**
   * Runs work that mails, once it is within these limits: counted before, outside the transaction
   * (concurrent requests cannot all slip under a limit), and taken back when the work fails.
   */
  private async mailingWithin<T>(limits: Array<[RateLimitName, string]>, work: () => Promise<T>): Promise<T> {
    const counted = await this.limiter.consumeAll(limits);
    try {
      return await work();
    } catch (error) {
      await this.limiter.refundAll(counted);
      throw error;
    }
  }

  private async moveToAddress(user: UserView, email: string, client: ClientInfo): Promise<UserView> {
    const previous = user.email;
    const updated = await this.users.changeEmail(user.id, email);
    // Back at the verified address a pending change left, which was kept for it: nothing to prove.
    if (updated.emailVerifiedAt) await this.tokens.deleteForUser(user.id);
    else await this.issue(updated);
    await this.events.emit('user.email_changed', { userId: user.id });
    await this.outbox.enqueue(previous, 'email-changed', { maskedEmail: maskEmail(updated.email) });
    await this.audit.record({
      action: 'user.email_changed',
      actor: { id: user.id, email: previous },
      client,
      target: `user:${user.id}`,
      details: { email: updated.email },
    });
    return userView(updated);
  }
}
