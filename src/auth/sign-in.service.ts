import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Transactional, TransactionHost } from '../database/transactions';
import type { SessionAuth, UserView } from '../http';
import { IssuedSession, SessionsService } from '../sessions/sessions.service';
import { SsoEnforcementService } from '../sso/sso-enforcement.service';
import { SignInCompleter } from '../sign-in/sign-in-completer';
import { PasswordService } from '../users/password.service';
import { userView } from '../users/user.dto';
import { UsersService } from '../users/users.service';
import { VerificationService } from '../verification/verification.service';
import { SignupDto } from './auth.dto';

export interface Authenticated {
  user: UserView;
  session: IssuedSession;
}

/** Signing up and out; each way of signing in is a class of its own on the sign-in pipeline. */
@Injectable()
export class SignInService {
  constructor(
    private readonly txHost: TransactionHost,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly completer: SignInCompleter,
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
      const session = await this.completer.signIn(user, {
        method: 'password',
        amr: ['pwd'],
        client,
        alertOnNewIp: false,
        action: 'user.signup',
        target: `user:${user.id}`,
      });
      return { user: userView(user), session };
    });
  }

  @Transactional()
  async logout(auth: SessionAuth, client: ClientInfo): Promise<void> {
    await this.sessions.revoke(auth.user.id, auth.session.id, 'logout');
    await this.audit.record({ action: 'user.logout', actor: auth.user, client, target: `session:${auth.session.id}` });
  }
}
