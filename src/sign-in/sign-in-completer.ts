import { Injectable } from '@nestjs/common';
import { AuditAction, AuditEvent, AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { DomainError } from '../common/errors';
import { Metrics } from '../common/metrics';
import { AppConfig } from '../config';
import { TransactionHost } from '../database/transactions';
import type { UserView } from '../http';
import { AuthMethod, IssuedSession, SessionsService } from '../sessions/sessions.service';
import { UsersService } from '../users/users.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import type { Amr } from './proof';

type Account = Pick<UserView, 'id' | 'email'>;

export interface CompletedSignIn {
  /** How the session's owner will see it signed in (the sessions listing's `authMethod`). */
  method: AuthMethod;
  amr: Amr[];
  client: ClientInfo;
  /** Mail the user when the address is new for them; not on an account's first session. */
  alertOnNewIp: boolean;
  /** The SSO connection that signed the user in (its organization's MFA rule counts the session). */
  ssoConnectionId?: string;
  action?: AuditAction;
  /** What the audit row is about: the new session, unless said otherwise. */
  target?: string;
  details?: AuditEvent['details'];
}

export interface Confirmation {
  reauthenticatedAt: Date;
  stepUpExpiresAt: Date;
  session: IssuedSession;
}

export interface CompletedConfirmation {
  amr: Amr[];
  client: ClientInfo;
  /**
   * The session's token as presented: of concurrent confirmations with one token, only one replaces
   * it (the others answer 409 session_rotated). Absent when the confirmation comes back from a
   * browser round trip (an IdP) rather than on the session's own request.
   */
  presentedTokenHash?: Buffer;
  /**
   * A check run after the token is replaced, in the same transaction: a one-time code is checked
   * only by the confirmation that won the token, and spent only if that commits.
   */
  thenCheck?: () => Promise<unknown>;
  /** The SSO connection that confirmed the session (it becomes the session's connection). */
  ssoConnectionId?: string;
  details?: AuditEvent['details'];
}

/**
 * How every sign-in method ends, whatever it checked: an account an operator locked or a directory
 * suspended is refused (403 account_locked, account_suspended), else the session is issued with what
 * it proved (or the current one confirmed, with a new token and what the confirmation proved), with
 * the audit row and the new-address mail, in one transaction.
 */
@Injectable()
export class SignInCompleter {
  constructor(
    private readonly config: AppConfig,
    private readonly txHost: TransactionHost,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly users: UsersService,
    private readonly webhooks: WebhooksService,
    private readonly metrics: Metrics,
  ) {}

  /** `then` runs in the same transaction, after the session is issued (e.g. a break-glass audit row). */
  signIn(
    user: Account,
    completed: CompletedSignIn,
    then?: (session: IssuedSession) => Promise<unknown>,
  ): Promise<IssuedSession> {
    const { method, amr, client, alertOnNewIp, ssoConnectionId, action = 'user.login', details } = completed;
    return this.counted(method, action !== 'user.signup', () =>
      this.txHost.withTransaction(async () => {
        await this.users.assertMaySignIn(user.id);
        const session = await this.sessions.issue(user, client, method, { alertOnNewIp, amr, ssoConnectionId });
        const target = completed.target ?? `session:${session.id}`;
        await this.audit.record({ action, actor: user, client, target, details });
        await this.webhooks.emit('session.created', { userId: user.id, sessionId: session.id, method });
        await then?.(session);
        return session;
      }),
    );
  }

  /**
   * `authd_sessions_created_total{method}` for every session issued (a signup's too), and
   * `authd_sign_ins_total{method, outcome}` for a sign-in: `success`, or the code of the refusal
   * decided here (account_locked, account_suspended, …). The attempt limiter counts the rejected
   * credentials, which never reach this far.
   */
  private async counted(
    method: AuthMethod,
    signIn: boolean,
    issue: () => Promise<IssuedSession>,
  ): Promise<IssuedSession> {
    try {
      const session = await issue();
      this.metrics.sessionsCreated.inc({ method });
      if (signIn) this.metrics.signIns.inc({ method, outcome: 'success' });
      return session;
    } catch (error) {
      if (signIn && error instanceof DomainError) this.metrics.signIns.inc({ method, outcome: error.code });
      throw error;
    }
  }

  confirm(user: Account, sessionId: string, completed: CompletedConfirmation): Promise<Confirmation> {
    return this.txHost.withTransaction(async () => {
      await this.users.assertMaySignIn(user.id);
      const { reauthenticatedAt, ...session } = await this.sessions.reauthenticate(
        user.id,
        sessionId,
        completed.presentedTokenHash,
        completed.amr,
        completed.ssoConnectionId ?? null,
      );
      await completed.thenCheck?.();
      await this.audit.record({
        action: 'user.step_up',
        actor: user,
        client: completed.client,
        target: `session:${sessionId}`,
        details: completed.details,
      });
      return {
        reauthenticatedAt,
        stepUpExpiresAt: new Date(reauthenticatedAt.getTime() + this.config.stepUpWindowMs),
        session,
      };
    });
  }
}
