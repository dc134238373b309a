import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Transactional, TransactionHost } from '../database/transactions';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { DomainEventMap, DomainEvents } from '../common/domain-events';
import { DomainError } from '../common/errors';
import { ErasedAccount, UserDataRegistry } from '../common/user-data';
import { WebhooksService } from '../webhooks/webhooks.service';
import { PasswordService } from './password.service';
import { canonicalEmail } from '../common/email-address';
import { normalizeEmail } from './user.dto';
import type { User } from './user.entity';
import { UserRecord, userRecord } from './user-record';
import { AccountToErase, RevertedAccount, UsersRepository } from './users.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface NewUser {
  email: string;
  name?: string | null;
  passwordHash: string | null;
  /** The address is proven already (an identity provider asserted it): verified from the start. */
  emailVerified?: boolean;
  /** The SSO provider that signed the account up. */
  ssoProviderId?: string | null;
  /**
   * How the account came to be, as `user.created` says; by default `sso` with a provider, else
   * `password` with a password, else `email` (a mailed sign-in link).
   */
  method?: string;
}

/**
 * An account found for a password sign-in. The check runs against the hash read with the account,
 * which stays in this module.
 */
export interface PasswordSignIn {
  user: UserRecord | null;
  /**
   * Whether the password is the account's; false, in about the same time, when there is no account
   * or no password. A right password kept in a hash made before passwords were normalised is hashed
   * again (see PasswordService.verify).
   */
  checkPassword(password: string): Promise<boolean>;
}

/** The only writer of the users table, and the only reader of its password hashes. */
@Injectable()
export class UsersService {
  constructor(
    private readonly txHost: TransactionHost,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly users: UsersRepository,
    private readonly userData: UserDataRegistry,
    private readonly events: DomainEvents,
    private readonly passwords: PasswordService,
    private readonly webhooks: WebhooksService,
  ) {}

  /**
   * Throws email_taken when the address (compared case-insensitively) has an account, or is the way
   * back of an account's pending email change. An address another account only moved to and has not
   * verified reserves nothing: that account goes back to its previous address, and the new one is
   * created (in the caller's transaction).
   */
  async create(input: NewUser): Promise<UserRecord> {
    const email = normalizeEmail(input.email);
    const now = this.clock.now();
    await this.users.lockAddresses([email]);
    const displaced = await this.users.releasePendingAddress(email, now);
    const user = await this.users.insert(
      {
        email,
        name: input.name ?? null,
        passwordHash: input.passwordHash,
        emailVerified: input.emailVerified ?? false,
        ssoProviderId: input.ssoProviderId ?? null,
      },
      now,
    );
    if (!user) throw new DomainError('email_taken');
    if (displaced) await this.emitReverted(displaced, email, 'address_registered');
    const method = input.method ?? (input.ssoProviderId ? 'sso' : input.passwordHash ? 'password' : 'email');
    await this.webhooks.emit('user.created', { userId: user.id, email, method });
    return userRecord(user);
  }

  async findById(id: string): Promise<UserRecord | null> {
    const user = await this.users.findById(id);
    return user && userRecord(user);
  }

  /**
   * Operators' search, newest accounts first: by address prefix (normalised as addresses are) or
   * exact id, `limit` at most, strictly after `after` (a previous row's `position`).
   */
  async search(query: {
    q?: string;
    after?: { at: string; id: string };
    limit: number;
  }): Promise<Array<{ user: UserRecord; position: { at: string; id: string } }>> {
    const q = query.q?.normalize('NFC').trim();
    const rows = await this.users.search({
      emailPrefix: q ? (canonicalEmail(q) ?? q.toLowerCase()) : undefined,
      id: q && UUID.test(q) ? q : undefined,
      after: query.after,
      limit: query.limit,
    });
    return rows.map(({ position, ...user }) => ({ user: userRecord(user), position: { at: position, id: user.id } }));
  }

  async findByEmail(email: string): Promise<UserRecord | null> {
    const user = await this.users.findByEmail(normalizeEmail(email));
    return user && userRecord(user);
  }

  /** The account moving away from this verified address, which is its way back until the move is proved. */
  async findByPreviousEmail(email: string): Promise<UserRecord | null> {
    const user = await this.users.findByPreviousEmail(normalizeEmail(email));
    return user && userRecord(user);
  }

  /** The account at this address, for a password sign-in: see PasswordSignIn. */
  async findForPasswordSignIn(email: string): Promise<PasswordSignIn> {
    const user = await this.users.findByEmail(normalizeEmail(email));
    return { user: user && userRecord(user), checkPassword: (password) => this.checkPasswordOf(user, password) };
  }

  /**
   * Whether the password is this account's (not_found when the account is gone), hashed again
   * when it was kept in a hash made before passwords were normalised.
   */
  async checkPassword(id: string, password: string): Promise<boolean> {
    const user = await this.users.findById(id);
    if (!user) throw new DomainError('not_found');
    return this.checkPasswordOf(user, password);
  }

  private async checkPasswordOf(user: User | null, password: string): Promise<boolean> {
    const hash = user?.passwordHash;
    if (!user || !hash) return this.passwords.verifyNothing(password);
    const check = await this.passwords.verify(hash, password);
    // Only while the account still holds this hash: a password changed meanwhile is never written back.
    if (check === 'legacy') {
      await this.users.replacePasswordHash(user.id, hash, await this.passwords.hash(password), this.clock.now());
    }
    return check !== false;
  }

  async getById(id: string): Promise<UserRecord> {
    const user = await this.findById(id);
    if (!user) throw new DomainError('not_found');
    return user;
  }

  @Transactional()
  async updateProfile(id: string, name: string, client: ClientInfo): Promise<UserRecord> {
    await this.users.setName(id, name, this.clock.now());
    await this.webhooks.emit('user.updated', { userId: id, fields: ['name'] });
    const user = await this.getById(id);
    await this.audit.record({ action: 'user.profile_updated', actor: user, client, target: `user:${id}` });
    return user;
  }

  /** The name as an organization's directory asserts it (the caller audits): no one signed in changed it. */
  async setName(id: string, name: string | null): Promise<void> {
    await this.users.setName(id, name, this.clock.now());
  }

  /** Locks the account for an erasure now (in the caller's transaction); undefined when it is gone. */
  lockForErasure(id: string): Promise<AccountToErase | undefined> {
    return this.users.lockForErasure(id);
  }

  /** Every account whose address is of this (lower-case, IDNA ASCII) domain. */
  findByEmailDomain(domain: string): Promise<Array<Pick<UserRecord, 'id' | 'email'>>> {
    return this.users.findByEmailDomain(domain);
  }

  /** Since when the account holds its current address; null when that is not known. */
  addressHeldSince(user: Pick<UserRecord, 'id' | 'email'>): Promise<Date | null> {
    return this.users.addressHeldSince(user.id, user.email);
  }

  /** Users by id, for modules that show who did something; missing ids are left out. */
  async findByIds(ids: string[]): Promise<UserRecord[]> {
    return (await this.users.findByIds(ids)).map(userRecord);
  }

  /** Marks the address verified if it is still the user's address; false when it has changed since. */
  async markEmailVerified(id: string, email: string): Promise<boolean> {
    const verified = await this.users.markEmailVerified(id, email, this.clock.now());
    if (verified) await this.webhooks.emit('user.email_verified', { userId: id, email });
    return verified;
  }

  /**
   * A new, unverified address (in the caller's transaction); email_taken when another account has
   * it, even unverified (only a signup or a verification takes an address from a pending change), or
   * keeps it as the way back of its own pending change.
   */
  async changeEmail(id: string, email: string): Promise<UserRecord> {
    const next = normalizeEmail(email);
    await this.users.lockAddresses([(await this.getById(id)).email, next]);
    if (!(await this.users.setUnverifiedEmail(id, next, this.clock.now()))) {
      throw new DomainError('email_taken');
    }
    await this.webhooks.emit('user.email_changed', { userId: id, email: next });
    return this.getById(id);
  }

  /**
   * Sends accounts whose email change was made before `before` and is still unverified back to their
   * previous address, up to `limit` (in the caller's transaction); answers how many.
   */
  async revertEmailChangesBefore(before: Date, limit: number): Promise<number> {
    const pending = await this.users.lockEmailChangesBefore(before, limit);
    for (const { id, email } of pending) {
      const reverted = await this.users.revertEmailChange(id, this.clock.now());
      if (reverted) await this.emitReverted(reverted, email, 'expired');
    }
    return pending.length;
  }

  private async emitReverted(
    account: RevertedAccount,
    abandonedEmail: string,
    reason: DomainEventMap['user.email_change_reverted']['reason'],
  ): Promise<void> {
    await this.events.emit('user.email_change_reverted', {
      userId: account.id,
      email: account.email,
      abandonedEmail,
      reason,
    });
    // The account is back at its verified address: for the product, the address changed again.
    await this.webhooks.emit('user.email_changed', { userId: account.id, email: account.email });
  }

  /** Locks up to `limit` never-verified accounts created before `before` (in the caller's transaction). */
  lockNeverVerified(before: Date, limit: number): Promise<AccountToErase[]> {
    return this.users.lockNeverVerified(before, limit);
  }

  /** Locks one account whose deletion date has passed, but those in `except` (in the caller's transaction). */
  lockDueForDeletion(except: string[] = []): Promise<AccountToErase | undefined> {
    return this.users.lockDueForDeletion(this.clock.now(), except);
  }

  /** Sets the deletion date unless one is set; answers the date in force and whether this call set it. */
  async scheduleDeletion(id: string, at: Date): Promise<{ at: Date; scheduled: boolean }> {
    const result = await this.users.scheduleDeletion(id, at, this.clock.now());
    if (result.scheduled) {
      await this.webhooks.emit('user.deletion_scheduled', {
        userId: id,
        deletionScheduledFor: result.at.toISOString(),
      });
    }
    return result;
  }

  /** Clears the deletion date; false when none was set. */
  async cancelDeletion(id: string): Promise<boolean> {
    const cancelled = await this.users.cancelDeletion(id, this.clock.now());
    if (cancelled) await this.webhooks.emit('user.deletion_cancelled', { userId: id });
    return cancelled;
  }

  /**
   * Erases these (locked) accounts through every module's UserDataHandler, in the caller's
   * transaction: each gets a random pseudonym that stands for it in what is kept. The product hears
   * `user.deleted` with the account's id, kept until delivered (see WebhooksUserData).
   */
  async erase(accounts: AccountToErase[]): Promise<ErasedAccount[]> {
    const hashes = await this.users.addressHashesOf(accounts.map((account) => account.id));
    const erased = accounts.map((account) => ({
      ...account,
      pseudonym: randomUUID(),
      addressHashes: hashes.get(account.id) ?? [],
    }));
    await this.userData.eraseAll(erased);
    // Queued after the erasure, which drops every other event about the accounts: the id alone.
    for (const account of erased) await this.webhooks.emit('user.deleted', { userId: account.id });
    return erased;
  }

  async setTwoFactorEnabled(id: string, enabled: boolean): Promise<void> {
    await this.users.setTwoFactorEnabled(id, enabled, this.clock.now());
    await this.webhooks.emit('user.updated', { userId: id, fields: ['twoFactorEnabled'] });
  }

  /**
   * Throws account_locked or account_suspended when no sign-in may open a session for the account;
   * called by every sign-in and confirmation, in its transaction (see restrictionsForSignIn).
   */
  async assertMaySignIn(id: string): Promise<void> {
    const row = await this.users.restrictionsForSignIn(id);
    if (row?.lockedAt) throw new DomainError('account_locked');
    if (row?.suspendedAt) throw new DomainError('account_suspended');
  }

  /**
   * An operator locks the account (`reason` kept for operators) or unlocks it; false when it was
   * already so. A lock ends every session and API key at once, in the caller's transaction.
   */
  @Transactional()
  async setLock(id: string, lock: { reason: string } | null): Promise<boolean> {
    const changed = await this.users.setLock(id, lock, this.clock.now());
    if (changed && lock) await this.revokeAccess(id, 'locked');
    return changed;
  }

  /**
   * An organization's directory deactivates the account or reactivates it; false when it was
   * already so (or, reactivating, when another organization suspended it). A suspension ends every
   * session and API key at once, in the caller's transaction.
   */
  @Transactional()
  async setSuspension(id: string, orgId: string, suspended: boolean): Promise<boolean> {
    const changed = await this.users.setSuspension(id, orgId, suspended, this.clock.now());
    if (changed && suspended) await this.revokeAccess(id, 'suspended');
    return changed;
  }

  /**
   * The directory that suspended the account no longer does, but another organization's still has it
   * inactive: the suspension stays, held by that organization (it alone lifts it now). False when
   * `from` held none.
   */
  @Transactional()
  async handOverSuspension(id: string, from: string, to: string): Promise<boolean> {
    return this.users.handOverSuspension(id, from, to, this.clock.now());
  }

  /** The accounts these organizations' directories suspended (rows locked, in the caller's transaction). */
  suspendedBy(orgIds: string[]): Promise<Array<{ id: string; orgId: string }>> {
    return this.users.suspendedBy(orgIds);
  }

  private async revokeAccess(id: string, reason: 'locked' | 'suspended'): Promise<void> {
    const user = await this.users.findById(id);
    if (user) await this.events.emit('user.access_revoked', { userId: id, email: user.email, reason });
  }

  /** Kept by the passkeys module, in the transaction that adds or removes one. */
  async setHasPasskey(id: string, hasPasskey: boolean): Promise<void> {
    await this.users.setHasPasskey(id, hasPasskey, this.clock.now());
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.users.setPasswordHash(id, passwordHash, this.clock.now());
    await this.webhooks.emit('user.updated', { userId: id, fields: ['password'] });
  }

  /**
   * The account has no password from now on (in the caller's transaction): whoever set it loses
   * that way in, e.g. to an account the holder of its never-verified address takes over.
   */
  async clearPassword(id: string): Promise<void> {
    await this.users.setPasswordHash(id, null, this.clock.now());
    await this.webhooks.emit('user.updated', { userId: id, fields: ['password'] });
  }

  /** Ties the account to the SSO provider it signs in with (the one that signed it in last). */
  async tieToSsoProvider(id: string, providerId: string): Promise<void> {
    await this.users.setSsoProvider(id, providerId, this.clock.now());
  }

  /** The account no longer signs in through these providers (its identities there were unlinked). */
  untieFromSsoProviders(id: string, providerIds: string[]): Promise<void> {
    return this.users.clearSsoProviderOf(id, providerIds, this.clock.now());
  }

  /** The accounts a removed SSO provider signed in stay, tied to no provider. */
  clearSsoProvider(providerId: string): Promise<number> {
    return this.users.clearSsoProvider(providerId, this.clock.now());
  }
}
