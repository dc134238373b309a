import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../database/transactions';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { AppConfig } from '../config';
import { BATCH_SIZE } from '../tasks/batch';
import { ScheduledTask, Task, TaskResult } from '../tasks';
import { UsersService } from '../users/users.service';

/**
 * Deletes accounts never verified within UNVERIFIED_ACCOUNT_TTL, with everything they own, so the
 * address can sign up again. An account verified once is never deleted, whatever its address now;
 * if it moved to an address it did not verify within VERIFICATION_TOKEN_TTL (the link is dead), it
 * goes back to the verified address it had, so the address it took is free again.
 */
@Task()
@Injectable()
export class CleanupUnverifiedAccountsTask implements ScheduledTask {
  readonly name = 'cleanup-unverified-accounts';
  readonly schedule = '0 30 3 * * *';
  readonly description =
    'deletes accounts never verified within UNVERIFIED_ACCOUNT_TTL, with what they own; takes back email changes not verified within VERIFICATION_TOKEN_TTL';

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly txHost: TransactionHost,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {}

  async run(): Promise<TaskResult> {
    const reverted = await this.revertStaleEmailChanges();
    return { ...(await this.deleteNeverVerified()), reverted };
  }

  /** Each reverted account is audited and mailed by the reaction to user.email_change_reverted. */
  private async revertStaleEmailChanges(): Promise<number> {
    const before = new Date(this.clock.now().getTime() - this.config.verificationTokenTtlMs);
    let reverted = 0;
    for (;;) {
      const batch = await this.txHost.withTransaction(() => this.users.revertEmailChangesBefore(before, BATCH_SIZE));
      reverted += batch;
      if (batch < BATCH_SIZE) return reverted;
    }
  }

  private async deleteNeverVerified(): Promise<{ deleted: number }> {
    const before = new Date(this.clock.now().getTime() - this.config.unverifiedAccountTtlMs);
    let deleted = 0;
    for (;;) {
      const batch = await this.txHost.withTransaction(async () => {
        // The same erasure as a deleted account's: every module forgets them, and the audit row
        // names only the pseudonym that already stands for them in the trail.
        const gone = await this.users.erase(await this.users.lockNeverVerified(before, BATCH_SIZE));
        await this.audit.recordMany(
          gone.map((user) => ({
            action: 'user.deleted_unverified' as const,
            actor: { id: null, email: null },
            target: `user:${user.pseudonym}`,
          })),
        );
        return gone.length;
      });
      deleted += batch;
      if (batch < BATCH_SIZE) return { deleted };
    }
  }
}
