import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { DomainError } from '../common/errors';
import { Transactional, TransactionHost } from '../database/transactions';
import type { AdminAuth } from '../http';
import { SessionsService } from '../sessions/sessions.service';
import type { UserRecord } from '../users/user-record';
import { UsersService } from '../users/users.service';
import { WebhooksService } from '../webhooks/webhooks.service';

/** What operators do to accounts, each change audited with the admin key as actor. */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly txHost: TransactionHost,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly webhooks: WebhooksService,
  ) {}

  private async existing(id: string): Promise<UserRecord> {
    const user = await this.users.findById(id);
    if (!user) throw new DomainError('not_found');
    return user;
  }

  /**
   * Locks the account: every session and API key ends in this transaction, and every sign-in
   * answers account_locked until it is unlocked. Locking a locked account changes nothing (the
   * first reason stays).
   */
  @Transactional()
  async lock(admin: AdminAuth, id: string, reason: string, client: ClientInfo): Promise<UserRecord> {
    await this.existing(id);
    if (await this.users.setLock(id, { reason })) {
      await this.audit.record({
        action: 'user.locked',
        actor: { adminKeyId: admin.adminKey.id },
        client,
        target: `user:${id}`,
        details: { reason },
      });
      await this.webhooks.emit('user.locked', { userId: id });
    }
    return this.existing(id);
  }

  @Transactional()
  async unlock(admin: AdminAuth, id: string, client: ClientInfo): Promise<UserRecord> {
    await this.existing(id);
    if (await this.users.setLock(id, null)) {
      await this.audit.record({
        action: 'user.unlocked',
        actor: { adminKeyId: admin.adminKey.id },
        client,
        target: `user:${id}`,
      });
      await this.webhooks.emit('user.unlocked', { userId: id });
    }
    return this.existing(id);
  }

  /** Signs the account out everywhere (its API keys stay); answers how many sessions ended. */
  @Transactional()
  async revokeSessions(admin: AdminAuth, id: string, client: ClientInfo): Promise<number> {
    await this.existing(id);
    const revoked = await this.sessions.revokeAll(id);
    await this.audit.record({
      action: 'session.revoked_all',
      actor: { adminKeyId: admin.adminKey.id },
      client,
      target: `user:${id}`,
      details: { revoked },
    });
    if (revoked > 0) await this.webhooks.emit('session.revoked', { userId: id, count: revoked, reason: 'admin' });
    return revoked;
  }
}
