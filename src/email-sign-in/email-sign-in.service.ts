import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { CredentialPolicy } from '../common/credential-policy';
import { generateToken, hashToken } from '../common/crypto';
import { DomainEvents } from '../common/domain-events';
import { DomainError, validationFailed } from '../common/errors';
import { AppConfig } from '../config';
import { TransactionHost } from '../database/transactions';
import { sameOriginPath } from '../http/return-to';
import { OutboxService } from '../mail';
import { RateLimiter } from '../rate-limit/rate-limiter.service';
import { normalizeEmail } from '../users/user.dto';
import type { UserRecord } from '../users/user-record';
import { UsersService } from '../users/users.service';
import { CodeHasher, generateCode, MAX_CODE_ATTEMPTS, newCodeId } from './email-codes';
import { EmailSignInRepository, SignInCodeRow } from './email-sign-in.repository';

export type { SignInCodeRow };

/** How long a mailed sign-in link and its code work. */
export const SIGN_IN_TTL_MS = 15 * 60_000;

/** What proves the mailbox: the link's token, or the address and the code; plus the second factor when on. */
export interface EmailSignInProof {
  token?: string;
  email?: string;
  code?: string;
  totpCode?: string;
}

/** The answer for every link or code that signs in nothing: unknown, expired, used, replaced or out of tries. */
function invalidToken(): DomainError {
  return new DomainError('invalid_token', {}, { status: 401 });
}

/**
 * Signing in by proving the mailbox: a link and a 6-digit code mailed to the address, either one
 * good once for SIGN_IN_TTL_MS. An address without an account gets one, verified and without a
 * password; an account that never proved its address passes to whoever does.
 */
@Injectable()
export class EmailSignInService {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly txHost: TransactionHost,
    private readonly repository: EmailSignInRepository,
    private readonly hasher: CodeHasher,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly limiter: RateLimiter,
    private readonly events: DomainEvents,
    private readonly policy: CredentialPolicy,
  ) {}

  /**
   * Mails a link and a code, replacing the address's earlier ones. Known and unknown addresses take
   * the same path (a row written, a mail queued), so neither the answer nor its time tells whether
   * an account exists. An SSO-enforced domain answers sso_required to everyone: its enforcement is
   * public, and no owner's break-glass reaches past it without a password.
   */
  async start(input: { email: string; returnTo?: string }, client: ClientInfo): Promise<void> {
    const email = normalizeEmail(input.email);
    const returnTo = input.returnTo === undefined ? null : sameOriginPath(input.returnTo);
    if (input.returnTo !== undefined && returnTo === null) {
      throw validationFailed([{ field: 'returnTo', problems: ['returnTo must be a path on this origin, e.g. /home'] }]);
    }
    await this.policy.assertAddressNotEnforced(email);
    await this.limiter.consume('emailSignInPerAddress', email);
    const id = newCodeId();
    const token = generateToken();
    const code = generateCode();
    const now = this.clock.now();
    await this.txHost.withTransaction(async () => {
      const holder = await this.signsInto(email);
      await this.repository.replaceSignIn({
        id,
        email,
        userId: holder?.id ?? null,
        sessionId: null,
        tokenHash: hashToken(token),
        codeHash: this.hasher.hash(id, code),
        returnTo,
        createdAt: now,
        expiresAt: new Date(now.getTime() + SIGN_IN_TTL_MS),
      });
      await this.outbox.enqueue(email, 'email-sign-in', {
        signInUrl: `${this.config.appUrl}/sign-in/email?token=${encodeURIComponent(token)}`,
        code,
        expiresInMinutes: SIGN_IN_TTL_MS / 60_000,
        newAccount: !holder,
      });
      await this.audit.record({
        action: 'user.email_sign_in_requested',
        actor: { id: holder?.id ?? null, email },
        client,
      });
    });
  }

  /**
   * The live row the link or code proves; invalid_token (401) otherwise. A code is counted before it
   * is checked; only wrong ones use up its tries (the right one sent again with the second factor
   * is not one). Nothing is spent yet.
   */
  async prove(proof: EmailSignInProof): Promise<SignInCodeRow> {
    const now = this.clock.now();
    if (proof.token !== undefined) {
      const row = await this.repository.findLiveSignInByToken(hashToken(proof.token), now);
      if (!row) throw invalidToken();
      return row;
    }
    if (proof.email === undefined || proof.code === undefined) {
      throw validationFailed([{ field: 'token', problems: ['send token, or email and code'] }]);
    }
    const row = await this.repository.countSignInCode(normalizeEmail(proof.email), now, MAX_CODE_ATTEMPTS);
    if (!row) throw invalidToken();
    if (!this.hasher.matches(row.id, proof.code, row.codeHash)) {
      if (row.attempts >= MAX_CODE_ATTEMPTS) await this.repository.end(row.id, now);
      throw invalidToken();
    }
    await this.repository.uncount(row.id);
    return row;
  }

  /** The account proving this row's address would sign into now; null when it would make a new one. */
  holderOf(row: SignInCodeRow): Promise<UserRecord | null> {
    return this.signsInto(row.email);
  }

  /**
   * The account whose address this is: the one holding it, unless it only moved there and has not
   * proved it (a signup would take it from that account); or else the account moving away from it,
   * whose verified way back it still is (proving it does not stop the move, nor verify the new one).
   */
  private async signsInto(email: string): Promise<UserRecord | null> {
    const holder = await this.users.findByEmail(email);
    if (holder) return signsIntoHolder(holder) ? holder : null;
    return this.users.findByPreviousEmail(email);
  }

  /** A wrong second factor after a right link or code: one of the row's tries. */
  async countFailure(row: SignInCodeRow): Promise<void> {
    await this.repository.countFailure(row.id, this.clock.now(), MAX_CODE_ATTEMPTS);
  }

  /**
   * Spends the row (in the caller's transaction) and answers whose address it is now (signsInto), or
   * a new account; the address counts as verified.
   */
  async spend(row: SignInCodeRow, client: ClientInfo): Promise<{ user: UserRecord; created: boolean }> {
    if (!(await this.repository.consume(row.id, this.clock.now()))) throw invalidToken();
    const account = await this.accountOf(row.email, client);
    // Only the address proved: for an account moving away from it, its new one stays unverified.
    await this.users.markEmailVerified(account.user.id, row.email);
    return account;
  }

  /**
   * Who proving the address signs in, in the transaction: its account, or a new one when there is
   * none or the account holding it only moved there and has not proved it (that account goes back
   * to its previous address, as a signup would send it). An account that never proved its own
   * address is claimed: whoever set it up may not be the mailbox's holder, so they lose their way in.
   */
  private async accountOf(email: string, client: ClientInfo): Promise<{ user: UserRecord; created: boolean }> {
    const holder = await this.signsInto(email);
    if (!holder) {
      return { user: await this.users.create({ email, passwordHash: null, emailVerified: true }), created: true };
    }
    if (holder.email === email && holder.emailVerifiedAt === null) await this.claim(holder, client);
    return { user: holder, created: false };
  }

  /**
   * The password its creator chose goes, and with it (the reactions to a reset) every session, API
   * key and linked SSO identity: only the mailbox's holder gets in from now on.
   */
  private async claim(holder: UserRecord, client: ClientInfo): Promise<void> {
    await this.users.clearPassword(holder.id);
    await this.events.emit('user.password_changed', {
      userId: holder.id,
      email: holder.email,
      keepSessionId: null,
      reset: true,
      revokeApiKeys: true,
      client,
    });
    await this.audit.record({
      action: 'user.unverified_account_claimed',
      actor: holder,
      client,
      target: `user:${holder.id}`,
    });
  }
}

/**
 * Whether proving the address signs into the account holding it. Not into one that moved to it
 * and has not verified it (a pending change, which has a verified address to go back to): that
 * account does not own the address, and the new account takes it as a signup would.
 */
function signsIntoHolder(holder: Pick<UserRecord, 'previousEmail'>): boolean {
  return holder.previousEmail === null;
}
