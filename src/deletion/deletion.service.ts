import { Injectable, Logger } from '@nestjs/common';
import { AdminActor, AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { describeError } from '../common/describe-error';
import { DomainError } from '../common/errors';
import { UserDataRegistry } from '../common/user-data';
import { AppConfig } from '../config';
import { TransactionHost } from '../database/transactions';
import type { SessionAuth } from '../http';
import { OutboxService } from '../mail';
import { SessionsService } from '../sessions/sessions.service';
import type { UserRecord } from '../users/user-record';
import { UsersService } from '../users/users.service';
import { CANCEL_URL } from './pending-deletion.guard';

/**
 * The deletion lifecycle: scheduled (soft-deleted, still reversible for DELETION_GRACE_PERIOD),
 * cancelled, or carried out by purge-deleted-accounts through every module's UserDataHandler.
 */
@Injectable()
export class DeletionService {
  private readonly logger = new Logger('Deletion');

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly txHost: TransactionHost,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly userData: UserDataRegistry,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Schedules the deletion (after step-up): every other session ends, a mail says when and how to
   * cancel, all in one transaction. Asking again answers the date already set and changes nothing.
   */
  schedule(auth: SessionAuth, client: ClientInfo): Promise<Date> {
    const { user } = auth;
    return this.txHost.withTransaction(async () => {
      const due = new Date(this.clock.now().getTime() + this.config.deletionGracePeriodMs);
      const { at, scheduled } = await this.users.scheduleDeletion(user.id, due);
      if (!scheduled) return at;
      const revoked = await this.sessions.revokeAll(user.id, auth.session.id, 'deletion_scheduled');
      await this.outbox.enqueue(user.email, 'deletion-scheduled', {
        deletionDate: at.toUTCString(),
        cancelUrl: CANCEL_URL,
      });
      await this.audit.record({
        action: 'user.deletion_scheduled',
        actor: user,
        client,
        target: `user:${user.id}`,
        details: { deletionScheduledFor: at.toISOString(), sessionsRevoked: revoked },
      });
      return at;
    });
  }

  /**
   * An operator schedules the deletion (admin API): as DELETE /me does, but every session ends, the
   * operator's key is the audit row's actor, and asking again answers the date already set.
   */
  scheduleByOperator(userId: string, actor: AdminActor, client: ClientInfo): Promise<Date> {
    return this.txHost.withTransaction(async () => {
      const user = await this.users.getById(userId);
      const due = new Date(this.clock.now().getTime() + this.config.deletionGracePeriodMs);
      const { at, scheduled } = await this.users.scheduleDeletion(user.id, due);
      if (!scheduled) return at;
      const revoked = await this.sessions.revokeAll(user.id);
      await this.outbox.enqueue(user.email, 'deletion-scheduled', {
        deletionDate: at.toUTCString(),
        cancelUrl: CANCEL_URL,
      });
      await this.audit.record({
        action: 'user.deletion_scheduled',
        actor,
        client,
        target: `user:${user.id}`,
        details: { deletionScheduledFor: at.toISOString(), sessionsRevoked: revoked },
      });
      return at;
    });
  }

  /** Cancels a scheduled deletion: the account and its API keys are back as they were. */
  cancel(auth: SessionAuth, client: ClientInfo): Promise<UserRecord> {
    const { user } = auth;
    return this.txHost.withTransaction(async () => {
      if (!(await this.users.cancelDeletion(user.id))) throw new DomainError('deletion_not_scheduled');
      await this.outbox.enqueue(user.email, 'deletion-cancelled', { cancelledAt: this.clock.now().toUTCString() });
      await this.audit.record({ action: 'user.deletion_cancelled', actor: user, client, target: `user:${user.id}` });
      return this.users.getById(user.id);
    });
  }

  /** Everything stored about the user, module by module. */
  async export(userId: string): Promise<Record<string, unknown>> {
    const user = await this.users.getById(userId);
    const account = {
      id: user.id,
      email: user.email,
      emailVerified: user.emailVerifiedAt !== null,
      emailHeldSince: await this.users.addressHeldSince(user),
    };
    return { exportedAt: this.clock.now(), ...(await this.userData.exportAll(account)) };
  }

  /**
   * Erases every account whose grace period has ended, one per transaction: the account's row is
   * locked first, so a cancel that committed before wins and one that comes after waits and finds
   * nothing to cancel. A crash rolls back that account's erasure whole; the next run starts it again.
   */
  async purgeDue(): Promise<{ purged: number; failed: number }> {
    const failed: string[] = [];
    let purged = 0;
    for (;;) {
      try {
        const done = await this.txHost.withTransaction(async () => {
          const account = await this.users.lockDueForDeletion(failed);
          if (!account) return false;
          try {
            await this.purge(account);
          } catch (error) {
            failed.push(account.id);
            throw error;
          }
          return true;
        });
        if (!done) return { purged, failed: failed.length };
        purged += 1;
      } catch (error) {
        // That account's erasure rolled back whole; the others go on, and the next run retries it.
        this.logger.error({ error: describeError(error), msg: 'account purge failed; it will be retried' });
      }
    }
  }

  /**
   * Erases the account now, as the purge does once a grace period ends (an organization's directory
   * deprovisioned an account that was only its own): in the caller's transaction; false when it is gone.
   */
  async eraseNow(userId: string): Promise<boolean> {
    return this.txHost.withTransaction(async () => {
      const account = await this.users.lockForErasure(userId);
      if (!account) return false;
      await this.purge(account);
      return true;
    });
  }

  private async purge(account: Pick<UserRecord, 'id' | 'email' | 'name'>): Promise<void> {
    const [erased] = await this.users.erase([account]);
    const now = this.clock.now();
    // Queued after the erasure, which drops mail still waiting for the address.
    await this.outbox.enqueue(account.email, 'account-deleted', { deletedAt: now.toUTCString() });
    await this.audit.record({
      action: 'user.deleted',
      actor: { id: null, email: null },
      target: `user:${erased.pseudonym}`,
    });
  }
}
