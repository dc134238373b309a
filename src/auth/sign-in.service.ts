import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { DomainError } from '../common/errors';
import { Transactional, TransactionHost } from '../database/transactions';
import type { SessionAuth, UserView } from '../http';
import { ipSubject } from '../rate-limit/ip-subject';
import { CountedAttempt, RateLimiter } from '../rate-limit/rate-limiter.service';
import { IssuedSession, SessionsService } from '../sessions/sessions.service';
import { PasswordPermit, SsoEnforcementService } from '../sso/sso-enforcement.service';
import { TwoFactorService } from '../two-factor/two-factor.service';
import { PasswordService } from '../users/password.service';
import { normalizeEmail, userView } from '../users/user.dto';
import type { UserRecord } from '../users/user-record';
import { UsersService } from '../users/users.service';
import { VerificationService } from '../verification/verification.service';
import { LoginDto, SignupDto } from './auth.dto';

export interface Authenticated {
  user: UserView;
  session: IssuedSession;
}

/** Signing up, in and out. */
@Injectable()
export class SignInService {
  constructor(
    private readonly txHost: TransactionHost,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly limiter: RateLimiter,
    private readonly twoFactor: TwoFactorService,
    private readonly verification: VerificationService,
    private readonly sso: SsoEnforcementService,
  ) {}

  /** An address of an SSO-enforced domain signs up through its identity provider (403 sso_required). */
  async signup(input: SignupDto, client: ClientInfo): Promise<Authenticated> {
    await this.sso.assertPasswordAllowed(input.email);
    await this.passwords.assertAcceptable(input.password, [input.email, input.name ?? '']);
    // Hashing is slow: done before the transaction opens, so no transaction waits on it.
    const passwordHash = await this.passwords.hash(input.password);
    return this.txHost.withTransaction(async () => {
      const user = await this.users.create({ email: input.email, name: input.name, passwordHash });
      await this.verification.issue(user);
      const session = await this.sessions.issue(user, client, 'password', { alertOnNewIp: false });
      await this.audit.record({ action: 'user.signup', actor: user, client, target: `user:${user.id}` });
      return { user: userView(user), session };
    });
  }

  /**
   * Unknown email, missing password and wrong password answer alike and take about as long. Failed
   * attempts count per account; once the limit is reached even the right password waits, except
   * from an address the account signed in from before (see countAttempt). An SSO-enforced domain
   * answers sso_required, but to owners of its organization (break-glass).
   */
  async login(input: LoginDto, client: ClientInfo): Promise<Authenticated> {
    const email = normalizeEmail(input.email);
    const { user, checkPassword } = await this.users.findForPasswordSignIn(email);
    // Every attempt counts until it succeeds; a success is taken back (failures only are limited).
    const attempt = await this.countAttempt(email, user, client);
    let permit: PasswordPermit;
    try {
      permit = await this.sso.assertPasswordAllowed(email, { breakGlassUserId: user?.id ?? null });
    } catch (error) {
      // No password can succeed here, so none is tried against the limit; the hash is still
      // computed, so that the time taken does not tell owners (who go on to it) from the others.
      await this.passwords.verifyNothing(input.password);
      await this.limiter.refund(attempt);
      throw error;
    }
    const valid = await checkPassword(input.password);
    if (!user || !valid) {
      await this.loginFailed(email, user?.id ?? null, user ? 'wrong_password' : 'unknown_email', client);
      throw new DomainError('invalid_credentials');
    }
    if (user.twoFactorEnabled) {
      // The password was right; the second factor decides. A wrong code counts as a failure.
      if (!input.totpCode) {
        // Not a failure: the first step of every two-factor sign-in.
        await this.limiter.refund(attempt);
        throw new DomainError('totp_required');
      }
      if (!(await this.twoFactor.verify(user.id, input.totpCode))) {
        await this.loginFailed(email, user.id, 'wrong_totp', client);
        throw new DomainError('invalid_totp');
      }
    }
    await this.limiter.refund(attempt);
    return this.txHost.withTransaction(async () => {
      const session = await this.sessions.issue(user, client, 'password', { alertOnNewIp: true });
      await this.audit.record({ action: 'user.login', actor: user, client, target: `session:${session.id}` });
      await this.sso.recordBreakGlassLogin(user, permit, client, session.id);
      return { user: userView(user), session };
    });
  }

  /**
   * Counts the attempt against the account's failure limit. Past it the account is locked, but not
   * for the addresses it signed in from before: a guesser elsewhere would otherwise lock the owner
   * out at will. Each of those addresses then has a failure limit of its own, so someone sharing one
   * gets no more guesses than that.
   */
  private async countAttempt(email: string, user: UserRecord | null, client: ClientInfo): Promise<CountedAttempt> {
    try {
      return await this.limiter.consume('loginFailuresPerAccount', email);
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'too_many_requests')) throw error;
      if (!user || !(await this.sessions.hasSignedInFrom(user.id, client.ip))) throw error;
      return this.limiter.consume('loginFailuresPerKnownAddress', [user.id, ipSubject(client.ip)]);
    }
  }

  private async loginFailed(email: string, userId: string | null, reason: string, client: ClientInfo): Promise<void> {
    await this.audit.record({ action: 'user.login_failed', actor: { id: userId, email }, client, details: { reason } });
  }

  @Transactional()
  async logout(auth: SessionAuth, client: ClientInfo): Promise<void> {
    await this.sessions.revoke(auth.user.id, auth.session.id);
    await this.audit.record({ action: 'user.logout', actor: auth.user, client, target: `session:${auth.session.id}` });
  }
}
