import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { PasskeyAssertionDto } from '../passkeys/passkeys.dto';
import { ipSubject } from '../rate-limit/ip-subject';
import { RateLimiter } from '../rate-limit/rate-limiter.service';
import { AttemptLimiter } from '../sign-in/attempt-limiter';
import { PasskeyFactor } from '../sign-in/factors';
import { CredentialRejected } from '../sign-in/proof';
import { SignInCompleter } from '../sign-in/sign-in-completer';
import { SsoEnforcementService } from '../sso/sso-enforcement.service';
import { userView } from '../users/user.dto';
import { UsersService } from '../users/users.service';
import type { Authenticated } from './sign-in.service';

/**
 * Sign-in with a passkey, no email typed: the credential names its account. Failures count per
 * address. An SSO-enforced domain answers sso_required, but to owners of its organization
 * (break-glass), as for a password.
 */
@Injectable()
export class PasskeyLogin {
  constructor(
    private readonly passkey: PasskeyFactor,
    private readonly attempts: AttemptLimiter,
    private readonly completer: SignInCompleter,
    private readonly limiter: RateLimiter,
    private readonly users: UsersService,
    private readonly sso: SsoEnforcementService,
    private readonly audit: AuditService,
  ) {}

  login(input: PasskeyAssertionDto, client: ClientInfo): Promise<Authenticated> {
    return this.attempts.attempt(
      () => this.limiter.consume('passkeyLoginFailuresPerIp', ipSubject(client.ip)),
      async () => {
        const { challengeId, response } = input;
        let userId: string;
        try {
          ({ userId } = await this.passkey.check({ purpose: 'sign-in', challengeId, response }));
        } catch (error) {
          if (error instanceof CredentialRejected) await this.failed(client);
          throw error;
        }
        // Erased since the assertion was checked: as if the passkey were unknown.
        const user = await this.users.findById(userId);
        if (!user) throw new CredentialRejected('passkey_invalid');
        const permit = await this.sso.assertPasswordAllowed(user.email, { breakGlassUserId: user.id });
        const session = await this.completer.signIn(
          user,
          { method: 'passkey', amr: ['hwk'], client, alertOnNewIp: true },
          (issued) => this.sso.recordBreakGlassLogin(user, permit, client, issued.id),
        );
        return { user: userView(user), session };
      },
      'passkey',
    );
  }

  private async failed(client: ClientInfo): Promise<void> {
    await this.audit.record({
      action: 'user.login_failed',
      actor: { id: null, email: null },
      client,
      details: { reason: 'passkey_invalid' },
    });
  }
}
