import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { AttemptLimiter } from '../sign-in/attempt-limiter';
import { PasswordFactor, TotpFactor } from '../sign-in/factors';
import { CredentialRejected, type Amr } from '../sign-in/proof';
import { SignInCompleter } from '../sign-in/sign-in-completer';
import { PasswordPermit, SsoEnforcementService } from '../sso/sso-enforcement.service';
import { PasswordService } from '../users/password.service';
import { normalizeEmail, userView } from '../users/user.dto';
import type { UserRecord } from '../users/user-record';
import { LoginDto } from './auth.dto';
import type { Authenticated } from './sign-in.service';

/**
 * Sign-in with email and password, and the authenticator code when two-factor is on. Unknown email,
 * missing password and wrong password answer alike and take about as long. An SSO-enforced domain
 * answers sso_required, but to owners of its organization (break-glass).
 */
@Injectable()
export class PasswordLogin {
  constructor(
    private readonly password: PasswordFactor,
    private readonly totp: TotpFactor,
    private readonly attempts: AttemptLimiter,
    private readonly completer: SignInCompleter,
    private readonly passwords: PasswordService,
    private readonly sso: SsoEnforcementService,
    private readonly audit: AuditService,
  ) {}

  async login(input: LoginDto, client: ClientInfo): Promise<Authenticated> {
    const email = normalizeEmail(input.email);
    const candidate = await this.password.find(email);
    const { user } = candidate;
    return this.attempts.attempt(
      () => this.attempts.countSignIn(email, user?.id ?? null, client),
      async () => {
        const permit = await this.permit(email, user, input.password);
        let signedIn: UserRecord;
        const amr: Amr[] = [];
        try {
          const proved = await candidate.check(input.password);
          signedIn = proved.user;
          amr.push(proved.amr);
          // The password was right; the second factor decides.
          if (signedIn.twoFactorEnabled) amr.push(await this.totp.check(signedIn, input.totpCode));
        } catch (error) {
          if (error instanceof CredentialRejected) await this.failed(email, user, error, client);
          throw error;
        }
        const session = await this.completer.signIn(
          signedIn,
          { method: 'password', amr, client, alertOnNewIp: true },
          (issued) => this.sso.recordBreakGlassLogin(signedIn, permit, client, issued.id),
        );
        return { user: userView(signedIn), session };
      },
      'password',
    );
  }

  /**
   * Where SSO is enforced no password can succeed, so none is tried; the hash is still computed, so
   * that the time taken does not tell owners (who go on to it) from the others.
   */
  private async permit(email: string, user: UserRecord | null, password: string): Promise<PasswordPermit> {
    try {
      return await this.sso.assertPasswordAllowed(email, { breakGlassUserId: user?.id ?? null });
    } catch (error) {
      await this.passwords.verifyNothing(password);
      throw error;
    }
  }

  private async failed(
    email: string,
    user: UserRecord | null,
    error: CredentialRejected,
    client: ClientInfo,
  ): Promise<void> {
    const reason = error.code === 'invalid_totp' ? 'wrong_totp' : user ? 'wrong_password' : 'unknown_email';
    await this.audit.record({
      action: 'user.login_failed',
      actor: { id: user?.id ?? null, email },
      client,
      details: { reason },
    });
  }
}
