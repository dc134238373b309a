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
import { DeletionService } from '../deletion/deletion.service';
import { OrganizationsService } from '../organizations/organizations.service';
import { PasskeysService } from '../passkeys/passkeys.service';
import type { SessionListing } from '../sessions/sessions.service';
import { SsoIdentitiesService } from '../sso/sso-identities.service';
import { decodeCursor, encodeCursor, UUID } from './cursor';

export const DEFAULT_PAGE_SIZE = 50;

/** A users-listing position: created_at as exact UTC text (microseconds), and the id. */
type UserKey = readonly [string, string];

const EXACT_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

function isUserKey(key: readonly unknown[]): key is UserKey {
  const [at, id] = key;
  if (key.length !== 2 || typeof at !== 'string' || typeof id !== 'string' || !UUID.test(id)) return false;
  if (!EXACT_UTC.test(at)) return false;
  // A date PostgreSQL would refuse (Feb 30) does not survive the round trip.
  const millis = `${at.slice(0, 23)}Z`;
  const parsed = new Date(millis);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString() === millis;
}

export interface ListedUser {
  user: UserRecord;
  lastSignInAt: Date | undefined;
}

export interface UserDetails extends ListedUser {
  sessions: SessionListing[];
  organizations: Awaited<ReturnType<OrganizationsService['list']>>;
  passkeys: number;
  ssoIdentities: Awaited<ReturnType<SsoIdentitiesService['identitiesOf']>>;
}

/** What operators do to accounts, each change audited with the admin key as actor. */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly txHost: TransactionHost,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly webhooks: WebhooksService,
    private readonly deletion: DeletionService,
    private readonly organizations: OrganizationsService,
    private readonly passkeys: PasskeysService,
    private readonly ssoIdentities: SsoIdentitiesService,
  ) {}

  /** Accounts newest first, a page at a time (keyset: stable while accounts are made). */
  async list(query: {
    q?: string;
    cursor?: string;
    limit?: number;
  }): Promise<{ data: ListedUser[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, isUserKey);
    const rows = await this.users.search({
      q: query.q,
      after: after && { at: after[0], id: after[1] },
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const signIns = await this.sessions.lastSignInAt(page.map((row) => row.user.id));
    const last = rows.length > limit ? page[page.length - 1].position : undefined;
    return {
      data: page.map(({ user }) => ({ user, lastSignInAt: signIns.get(user.id) })),
      nextCursor: last ? encodeCursor([last.at, last.id]) : null,
    };
  }

  /** Everything an operator needs to judge an account; not_found for an unknown id. */
  async details(id: string): Promise<UserDetails> {
    const user = await this.existing(id);
    const [sessions, signIns, organizations, passkeys, ssoIdentities] = await Promise.all([
      this.sessions.list(id, ''),
      this.sessions.lastSignInAt([id]),
      this.organizations.list(id),
      this.passkeys.countForUser(id),
      this.ssoIdentities.identitiesOf(id),
    ]);
    return { user, lastSignInAt: signIns.get(id), sessions, organizations, passkeys, ssoIdentities };
  }

  /**
   * Schedules the deletion as DELETE /me does (grace period, mail, every session ended), or erases
   * the account now through the deletion pipeline. Answers the date, or null once erased.
   */
  async delete(admin: AdminAuth, id: string, immediate: boolean, client: ClientInfo): Promise<Date | null> {
    const actor = { adminKeyId: admin.adminKey.id };
    if (!immediate) return this.deletion.scheduleByOperator(id, actor, client);
    await this.txHost.withTransaction(async () => {
      await this.existing(id);
      // Written before the erasure, which turns its target into the account's pseudonym.
      await this.audit.record({ action: 'user.erased_by_operator', actor, client, target: `user:${id}` });
      if (!(await this.deletion.eraseNow(id))) throw new DomainError('not_found');
    });
    return null;
  }

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
    // SessionsService tells the product (session.revoked, reason admin) in this transaction.
    const revoked = await this.sessions.revokeAll(id, undefined, 'admin');
    await this.audit.record({
      action: 'session.revoked_all',
      actor: { adminKeyId: admin.adminKey.id },
      client,
      target: `user:${id}`,
      details: { revoked },
    });
    return revoked;
  }
}
