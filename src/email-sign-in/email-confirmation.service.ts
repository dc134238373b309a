import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { CredentialPolicy } from '../common/credential-policy';
import { DomainError } from '../common/errors';
import { TransactionHost } from '../database/transactions';
import type { SessionAuth, UserView } from '../http';
import { OutboxService } from '../mail';
import { RateLimiter } from '../rate-limit/rate-limiter.service';
import { CodeHasher, generateCode, MAX_CODE_ATTEMPTS, newCodeId } from './email-codes';
import { EmailSignInRepository } from './email-sign-in.repository';

/** How long a mailed confirmation code works. */
export const CONFIRMATION_TTL_MS = 10 * 60_000;

/**
 * Whether the account confirms its identity (step-up) with a code mailed to its address: only when
 * it has nothing stronger, no password, no authenticator and no passkey, and no identity provider
 * signs it in (that one confirms it). Otherwise a stolen
 * session with a mailbox to match would step up past the factors the account chose.
 */
export function confirmsByEmailCode(
  user: Pick<UserView, 'hasPassword' | 'twoFactorEnabled' | 'hasPasskey' | 'ssoProviderId'>,
): boolean {
  return !user.hasPassword && !user.twoFactorEnabled && !user.hasPasskey && user.ssoProviderId === null;
}

/** Step-up by a 6-digit code mailed to the account's address, for the session that asked. */
@Injectable()
export class EmailConfirmationService {
  constructor(
    private readonly clock: Clock,
    private readonly txHost: TransactionHost,
    private readonly repository: EmailSignInRepository,
    private readonly hasher: CodeHasher,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly limiter: RateLimiter,
    private readonly policy: CredentialPolicy,
  ) {}

  /**
   * Mails a code bound to this session, replacing the user's earlier one. 409
   * email_code_unavailable for an account with a password, an authenticator or a passkey; under
   * enforced SSO the identity provider confirms (sso_required), but for an owner (break-glass).
   */
  async sendCode(auth: SessionAuth, client: ClientInfo): Promise<void> {
    const { user, session } = auth;
    if (!confirmsByEmailCode(user)) throw new DomainError('email_code_unavailable');
    await this.policy.assertPasswordUsable(user);
    await this.limiter.consume('emailConfirmCodesPerUser', user.id);
    const id = newCodeId();
    const code = generateCode();
    const now = this.clock.now();
    await this.txHost.withTransaction(async () => {
      await this.repository.replaceStepUp({
        id,
        email: user.email,
        userId: user.id,
        sessionId: session.id,
        tokenHash: null,
        codeHash: this.hasher.hash(id, code),
        returnTo: null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + CONFIRMATION_TTL_MS),
      });
      await this.outbox.enqueue(user.email, 'email-confirmation-code', {
        code,
        expiresInMinutes: CONFIRMATION_TTL_MS / 60_000,
      });
      await this.audit.record({
        action: 'user.email_confirmation_requested',
        actor: user,
        client,
        target: `session:${session.id}`,
      });
    });
  }

  /**
   * Whether `code` is the live one mailed for this session; true spends it. Counted before it is
   * checked and compared in constant time; the fifth wrong code ends it. Call it outside a
   * transaction: a wrong code's count must stay though the confirmation fails.
   */
  async verifyConfirmationCode(userId: string, sessionId: string, code: string): Promise<boolean> {
    const now = this.clock.now();
    const row = await this.repository.countStepUpCode(userId, sessionId, now, MAX_CODE_ATTEMPTS);
    if (!row) return false;
    if (!this.hasher.matches(row.id, code, row.codeHash)) {
      if (row.attempts >= MAX_CODE_ATTEMPTS) await this.repository.end(row.id, now);
      return false;
    }
    return this.repository.consume(row.id, now);
  }
}
