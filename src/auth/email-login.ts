import { Injectable } from '@nestjs/common';
import type { ClientInfo } from '../common/client-info';
import { CredentialPolicy } from '../common/credential-policy';
import { DomainError } from '../common/errors';
import { TransactionHost } from '../database/transactions';
import type { EmailSignedIn } from '../email-sign-in/email-sign-in.dto';
import { EmailSignInProof, EmailSignInService, SignInCodeRow } from '../email-sign-in/email-sign-in.service';
import { AuditService } from '../audit/audit.service';
import { Metrics } from '../common/metrics';
import { AttemptLimiter } from '../sign-in/attempt-limiter';
import { TotpFactor } from '../sign-in/factors';
import { CredentialRejected, type Amr } from '../sign-in/proof';
import { SignInCompleter } from '../sign-in/sign-in-completer';
import { userView } from '../users/user.dto';
import type { UserRecord } from '../users/user-record';
import { UsersService } from '../users/users.service';

/**
 * Sign-in by proving the mailbox: the mailed link's token, or the address and its code, plus the
 * authenticator code when the account has two-factor on. Whoever holds the address now is signed
 * in, or a new passwordless account is made for it.
 */
@Injectable()
export class EmailLogin {
  constructor(
    private readonly txHost: TransactionHost,
    private readonly emailSignIn: EmailSignInService,
    private readonly totp: TotpFactor,
    private readonly attempts: AttemptLimiter,
    private readonly audit: AuditService,
    private readonly completer: SignInCompleter,
    private readonly users: UsersService,
    private readonly policy: CredentialPolicy,
    private readonly metrics: Metrics,
  ) {}

  /**
   * A missing authenticator code answers totp_required and a wrong one invalid_totp, both leaving the
   * link or code unspent (a wrong one uses up one of its tries).
   */
  async login(proof: EmailSignInProof, client: ClientInfo): Promise<EmailSignedIn> {
    const row = await this.proved(proof);
    // A link mailed before the domain's SSO was enforced signs in nothing since.
    await this.policy.assertAddressNotEnforced(row.email);
    const holder = await this.emailSignIn.holderOf(row);
    const amr: Amr[] = ['email'];
    if (holder?.twoFactorEnabled) {
      // The code is guessed like a password: it counts against the account's sign-in failures too.
      const otp = await this.attempts.attempt(
        () => this.attempts.countSignIn(row.email, holder.id, client),
        async () => {
          try {
            return await this.totp.check(holder, proof.totpCode);
          } catch (error) {
            if (error instanceof CredentialRejected) await this.failed(row, holder, client);
            throw error;
          }
        },
        'email',
      );
      amr.push(otp);
    }
    return this.txHost.withTransaction(async () => {
      const { user, created } = await this.emailSignIn.spend(row, client);
      // Two-factor turned on, or the address changed hands, since the check: rolled back, unspent.
      if (user.twoFactorEnabled && (user.id !== holder?.id || !amr.includes('otp'))) {
        throw new DomainError('totp_required');
      }
      const session = await this.completer.signIn(user, {
        method: 'email',
        amr,
        client,
        alertOnNewIp: !created,
        action: 'user.email_sign_in',
        details: { created },
      });
      return { user: userView(await this.users.getById(user.id)), session, created, returnTo: row.returnTo };
    });
  }

  /** A link or code that proves nothing is a failed email sign-in (`authd_sign_ins_total`). */
  private async proved(proof: EmailSignInProof): Promise<SignInCodeRow> {
    try {
      return await this.emailSignIn.prove(proof);
    } catch (error) {
      if (error instanceof DomainError && error.status !== 400) {
        this.metrics.signIns.inc({ method: 'email', outcome: error.code });
      }
      throw error;
    }
  }

  /** A wrong authenticator code: one of the link's tries, and a failed sign-in of the account. */
  private async failed(row: SignInCodeRow, holder: UserRecord, client: ClientInfo): Promise<void> {
    await this.emailSignIn.countFailure(row);
    await this.audit.record({
      action: 'user.login_failed',
      actor: { id: holder.id, email: row.email },
      client,
      details: { reason: 'wrong_totp' },
    });
  }
}
