import { Injectable, Logger } from '@nestjs/common';
import { TransactionHost } from '../database/transactions';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { CredentialPolicy } from '../common/credential-policy';
import { describeError } from '../common/describe-error';
import { DomainError, validationFailed } from '../common/errors';
import { AppConfig } from '../config';
import { CountedAttempt, RateLimiter } from '../rate-limit/rate-limiter.service';
import { IssuedSession, SessionsService } from '../sessions/sessions.service';
import { TwoFactorService } from '../two-factor/two-factor.service';
import { UsersService } from '../users/users.service';
import type { SessionAuth } from '../http';
import { stepUpMethods, stepUpRequired } from './step-up.guard';

export interface Confirmation {
  reauthenticatedAt: Date;
  stepUpExpiresAt: Date;
  session: IssuedSession;
}

export interface ConfirmInput {
  password?: string;
  totpCode?: string;
}

/** Rolls back the token replacement of a confirmation whose code is wrong. */
class CodeRejected extends Error {}

/** Re-authentication of the current session, with a fresh token each time (OWASP ASVS 5.0, 7.2.4). */
@Injectable()
export class StepUpService {
  private readonly logger = new Logger('StepUp');

  constructor(
    private readonly config: AppConfig,
    private readonly txHost: TransactionHost,
    private readonly users: UsersService,
    private readonly twoFactor: TwoFactorService,
    private readonly sessions: SessionsService,
    private readonly limiter: RateLimiter,
    private readonly audit: AuditService,
    private readonly policy: CredentialPolicy,
  ) {}

  async confirm(auth: SessionAuth, input: ConfirmInput, client: ClientInfo): Promise<Confirmation> {
    const { user } = auth;
    this.assertFactorsGiven(user, input);
    // An account that signs in through its organization's IdP and lacks this factor confirms there:
    // the answer says where (ssoUrl), rather than calling a password that does not exist wrong.
    const methods = stepUpMethods(user);
    if (methods.includes('sso') && !methods.includes(input.password !== undefined ? 'password' : 'totp')) {
      throw stepUpRequired(user, this.config.stepUpWindowMs);
    }
    // Where SSO is enforced, the password proves nothing any more (owners keep it: break-glass).
    if (input.password !== undefined) await this.policy.assertPasswordUsable(user);
    // Counted before checking, taken back on success: parallel guesses cannot outrun the limit.
    const attempt = await this.limiter.consume('confirmFailuresPerUser', user.id);
    if (input.password !== undefined) {
      if (!(await this.users.checkPassword(user.id, input.password))) {
        await this.fail(auth, 'invalid_credentials', client);
      }
    }
    if (input.totpCode !== undefined && !user.twoFactorEnabled) await this.fail(auth, 'invalid_totp', client);
    let confirmation: Confirmation;
    try {
      confirmation = await this.txHost.withTransaction(async () => {
        // The token is replaced first: of concurrent confirmations with one token, the losers stop
        // here (409 session_rotated) before their code is checked. The code is checked only once the
        // password is right, and in this transaction, so a confirmation that fails spends none.
        const { reauthenticatedAt, ...session } = await this.sessions.reauthenticate(
          user.id,
          auth.session.id,
          auth.session.tokenHash,
        );
        if (input.totpCode !== undefined && !(await this.twoFactor.verify(user.id, input.totpCode))) {
          throw new CodeRejected();
        }
        await this.audit.record({ action: 'user.step_up', actor: user, client, target: `session:${auth.session.id}` });
        return {
          reauthenticatedAt,
          stepUpExpiresAt: new Date(reauthenticatedAt.getTime() + this.config.stepUpWindowMs),
          session,
        };
      });
    } catch (error) {
      if (error instanceof CodeRejected) return this.fail(auth, 'invalid_totp', client);
      // Not a wrong factor (a concurrent rotation, say): not a failed attempt either.
      await this.takeBack(attempt);
      throw error;
    }
    await this.takeBack(attempt);
    return confirmation;
  }

  /**
   * Takes back an attempt that was no failure. By now the new token is committed (or the request
   * failed for its own reason): a rate-limit store that cannot take it back leaves it counted, and
   * the client still gets its answer.
   */
  private async takeBack(attempt: CountedAttempt): Promise<void> {
    try {
      await this.limiter.refund(attempt);
    } catch (error) {
      this.logger.warn({ error: describeError(error), msg: 'a confirmation attempt stays counted' });
    }
  }

  /**
   * One factor confirms: the password, or an authenticator or recovery code. With two-factor on the
   * password alone does not (a password-only step-up must not be able to turn two-factor off): the
   * code confirms alone or beside it. Checked here, after the body's own validation, so a body that
   * is malformed as well hears only about that; nothing is counted or checked yet.
   */
  private assertFactorsGiven(user: SessionAuth['user'], input: ConfirmInput): void {
    const password = input.password !== undefined;
    const code = input.totpCode !== undefined;
    if (user.hasPassword && user.twoFactorEnabled) {
      if (!password && !code) {
        throw validationFailed([{ field: 'totpCode', problems: ['send totpCode, alone or with password'] }]);
      }
      // As at login: the client asks for the code and sends it.
      if (!code) throw new DomainError('totp_required');
      return;
    }
    if (password === code) {
      throw validationFailed([{ field: 'password', problems: ['send either password or totpCode'] }]);
    }
  }

  private async fail(
    auth: SessionAuth,
    code: 'invalid_credentials' | 'invalid_totp',
    client: ClientInfo,
  ): Promise<never> {
    await this.audit.record({
      action: 'user.step_up_failed',
      actor: auth.user,
      client,
      target: `session:${auth.session.id}`,
      details: { reason: code },
    });
    throw new DomainError(code);
  }
}
