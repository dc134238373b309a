import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { DomainEventMap, OnDomainEvent } from '../common/domain-events';
import { AppConfig } from '../config';
import { OutboxService } from '../mail';
import { maskEmail } from './mask-email';
import { VerificationRepository } from './verification.repository';

/** What the verification module does when an account's address changes under it. */
@Injectable()
export class VerificationReactions {
  constructor(
    private readonly config: AppConfig,
    private readonly tokens: VerificationRepository,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
  ) {}

  /**
   * The link mailed to the abandoned address dies (it would verify nothing now, and that address
   * may be someone else's account), and the account hears why at the address it is back at.
   */
  @OnDomainEvent('user.email_change_reverted')
  async changeReverted({
    userId,
    email,
    abandonedEmail,
    reason,
  }: DomainEventMap['user.email_change_reverted']): Promise<void> {
    await this.tokens.deleteForUser(userId);
    await this.outbox.enqueue(email, 'email-change-cancelled', {
      maskedEmail: maskEmail(abandonedEmail),
      registered: reason === 'address_registered',
      expiresInHours: Math.max(1, Math.round(this.config.verificationTokenTtlMs / 3_600_000)),
    });
    await this.audit.record({
      action: 'user.email_change_reverted',
      actor: { id: null, email: null },
      target: `user:${userId}`,
      details: { email: abandonedEmail, reason },
    });
  }
}
