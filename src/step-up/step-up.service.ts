import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { CredentialPolicy } from '../common/credential-policy';
import { DomainError, validationFailed } from '../common/errors';
import { AppConfig } from '../config';
import type { SessionAuth } from '../http';
import { EmailConfirmationService } from '../email-sign-in/email-confirmation.service';
import { RateLimiter } from '../rate-limit/rate-limiter.service';
import { AttemptLimiter } from '../sign-in/attempt-limiter';
import { PasskeyFactor, PasswordFactor, TotpFactor } from '../sign-in/factors';
import { CredentialRejected, type Amr } from '../sign-in/proof';
import { Confirmation, SignInCompleter } from '../sign-in/sign-in-completer';
import { ssoStepUpLoginPath, StepUpMethod, stepUpMethods, stepUpRequired } from './step-up.guard';

export type { Confirmation };

export interface ConfirmInput {
  password?: string;
  totpCode?: string;
  passkey?: { challengeId: string; response: unknown };
  emailCode?: string;
}

/** The factor a confirmation offers, as the step-up 403 names it in `methods`. */
function offered(input: ConfirmInput): StepUpMethod {
  if (input.passkey !== undefined) return 'passkey';
  if (input.emailCode !== undefined) return 'email';
  return input.password !== undefined ? 'password' : 'totp';
}

/** Re-authentication of the current session, with a fresh token each time (OWASP ASVS 5.0, 7.2.4). */
@Injectable()
export class StepUpService {
  constructor(
    private readonly config: AppConfig,
    private readonly password: PasswordFactor,
    private readonly totp: TotpFactor,
    private readonly passkey: PasskeyFactor,
    private readonly emailCodes: EmailConfirmationService,
    private readonly attempts: AttemptLimiter,
    private readonly completer: SignInCompleter,
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
    const factor = offered(input);
    if ((methods.includes('sso') || factor === 'email') && !methods.includes(factor)) {
      throw stepUpRequired(user, this.config.stepUpWindowMs, await ssoStepUpLoginPath(user, this.policy));
    }
    // Where SSO is enforced, the password proves nothing any more (owners keep it: break-glass).
    if (input.password !== undefined) await this.policy.assertPasswordUsable(user);
    return this.attempts.attempt(
      () => this.limiter.consume('confirmFailuresPerUser', user.id),
      async () => {
        try {
          if (input.passkey !== undefined) {
            const { amr } = await this.passkey.check({
              purpose: 'step-up',
              ...input.passkey,
              sessionId: auth.session.id,
              userId: user.id,
            });
            return await this.completer.confirm(user, auth.session.id, {
              amr: [amr],
              client,
              presentedTokenHash: auth.session.tokenHash,
              details: { method: 'passkey' },
            });
          }
          if (input.emailCode !== undefined) {
            // Counted by the code's own tries too, which a failed confirmation must not roll back.
            if (!(await this.emailCodes.verifyConfirmationCode(user.id, auth.session.id, input.emailCode))) {
              throw new CredentialRejected('invalid_token', {}, { status: 401 });
            }
            return await this.completer.confirm(user, auth.session.id, {
              amr: ['email'],
              client,
              presentedTokenHash: auth.session.tokenHash,
              details: { method: 'email' },
            });
          }
          const amr: Amr[] = [];
          if (input.password !== undefined) amr.push(await this.password.check(user.id, input.password));
          const { totpCode } = input;
          if (totpCode !== undefined && !user.twoFactorEnabled) throw new CredentialRejected('invalid_totp');
          if (totpCode !== undefined) amr.push('otp');
          // The token is replaced first: of concurrent confirmations with one token, the losers stop
          // there (409 session_rotated) before their code is checked. The code is checked only once
          // the password is right, and in that transaction, so a confirmation that fails spends none.
          return await this.completer.confirm(user, auth.session.id, {
            amr,
            client,
            presentedTokenHash: auth.session.tokenHash,
            thenCheck: totpCode === undefined ? undefined : () => this.totp.check(user, totpCode),
          });
        } catch (error) {
          if (error instanceof CredentialRejected) await this.failed(auth, error, client);
          throw error;
        }
      },
    );
  }

  /**
   * One factor confirms: the password, an authenticator or recovery code, or a passkey (alone: it is
   * two factors in one). With two-factor on the password alone does not (a password-only step-up must not be able to turn two-factor off): the
   * code confirms alone or beside it. Checked here, after the body's own validation, so a body that
   * is malformed as well hears only about that; nothing is counted or checked yet.
   */
  private assertFactorsGiven(user: SessionAuth['user'], input: ConfirmInput): void {
    const password = input.password !== undefined;
    const code = input.totpCode !== undefined;
    for (const alone of ['passkey', 'emailCode'] as const) {
      if (input[alone] === undefined) continue;
      const others = (['password', 'totpCode', 'passkey', 'emailCode'] as const).filter((f) => f !== alone);
      if (others.some((f) => input[f] !== undefined)) {
        throw validationFailed([{ field: alone, problems: [`${alone} confirms alone: send no other factor with it`] }]);
      }
      return;
    }
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

  private async failed(auth: SessionAuth, error: CredentialRejected, client: ClientInfo): Promise<void> {
    await this.audit.record({
      action: 'user.step_up_failed',
      actor: auth.user,
      client,
      target: `session:${auth.session.id}`,
      details: { reason: error.code },
    });
  }
}
