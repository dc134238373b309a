import { Injectable } from '@nestjs/common';
import { isUniqueViolation } from '../common/database-errors';
import { Sql } from '../database/sql';
import { User } from './user.entity';

/** A user row to insert; the email is already normalised. */
export interface UserRow {
  email: string;
  name: string | null;
  passwordHash: string | null;
  /** Verified at `now` (and so never cleaned up as stale). */
  emailVerified: boolean;
  ssoProviderId: string | null;
}

/** An account about to be erased: what the other modules need to find what they keep about it. */
export type AccountToErase = Pick<User, 'id' | 'email' | 'name'>;

/** An account sent back from an unverified address to the verified one it had before: where it is now. */
export type RevertedAccount = Pick<User, 'id' | 'email'>;

/** Every column of a user row, under the entity's field names. */
const USER_COLUMNS = `id, email, name, password_hash AS "passwordHash", email_verified_at AS "emailVerifiedAt",
  ever_verified AS "everVerified", previous_email AS "previousEmail", email_changed_at AS "emailChangedAt",
  two_factor_enabled AS "twoFactorEnabled", has_passkey AS "hasPasskey", sso_provider_id AS "ssoProviderId",
  deletion_scheduled_for AS "deletionScheduledFor", locked_at AS "lockedAt", lock_reason AS "lockReason",
  suspended_at AS "suspendedAt", suspended_by_org_id AS "suspendedByOrgId", created_at AS "createdAt", updated_at AS "updatedAt"`;

/** The users table. Emails come normalised; a taken address is answered, never thrown. */
@Injectable()
export class UsersRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Serialises, until the transaction ends, every change that gives these addresses to an account or
   * takes them from one, so that the checks on previous_email (which no unique index spans with
   * email) hold. Taken in one order, so two transactions never wait on each other.
   */
  async lockAddresses(emails: string[]): Promise<void> {
    for (const email of [...new Set(emails)].sort()) {
      await this.sql.rows(`SELECT pg_advisory_xact_lock(hashtextextended('users.email:' || $1, 0))`, [email]);
    }
  }

  /** Whether another account than `exceptId` keeps the address as its way back from a pending change. */
  async isReservedByPendingChange(email: string, exceptId: string | null = null): Promise<boolean> {
    const rows = await this.sql.rows(
      'SELECT 1 FROM users WHERE previous_email = $1 AND ($2::uuid IS NULL OR id <> $2::uuid)',
      [email, exceptId],
    );
    return rows.length > 0;
  }

  /** The new user, or null when another account has the address. */
  async insert({ emailVerified, ...user }: UserRow, now: Date): Promise<User | null> {
    if (await this.isReservedByPendingChange(user.email)) return null;
    let created: User;
    try {
      created = (await this.sql.one<User>(
        `INSERT INTO users (email, name, password_hash, sso_provider_id, email_verified_at, ever_verified,
                            created_at, updated_at)
         VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN $6::timestamptz END, $5, $6, $6)
         RETURNING ${USER_COLUMNS}`,
        [user.email, user.name, user.passwordHash, user.ssoProviderId, emailVerified, now],
      ))!;
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
    await this.recordAddress(created.id, user.email, now);
    if (emailVerified) await this.recordVerified(created.id, user.email, now);
    return created;
  }

  async findById(id: string): Promise<User | null> {
    return (await this.sql.one<User>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id])) ?? null;
  }

  async findByEmail(email: string): Promise<User | null> {
    return (await this.sql.one<User>(`SELECT ${USER_COLUMNS} FROM users WHERE email = $1`, [email])) ?? null;
  }

  findByPreviousEmail(email: string): Promise<User | null> {
    return this.sql
      .one<User>(`SELECT ${USER_COLUMNS} FROM users WHERE previous_email = $1`, [email])
      .then((user) => user ?? null);
  }

  /** Every account whose address is of this (lower-case, IDNA ASCII) domain. */
  findByEmailDomain(domain: string): Promise<Array<Pick<User, 'id' | 'email'>>> {
    return this.sql.rows(`SELECT id, email FROM users WHERE right(email, char_length($1) + 1) = '@' || $1`, [domain]);
  }

  findByIds(ids: string[]): Promise<User[]> {
    return ids.length === 0
      ? Promise.resolve([])
      : this.sql.rows<User>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /**
   * Accounts newest first, keyset-paged on (created_at, id), which never change: a page starts
   * strictly after `after`, so accounts made meanwhile neither shift nor repeat what follows. `position`
   * is created_at as exact UTC text (microseconds), for the next page's `after`. Filtered by an
   * address prefix (already normalised; LIKE wildcards are escaped here) and/or an exact id: either matches.
   */
  search(query: {
    emailPrefix?: string;
    id?: string;
    after?: { at: string; id: string };
    limit: number;
  }): Promise<Array<User & { position: string }>> {
    const values: unknown[] = [];
    const add = (value: unknown) => `$${values.push(value)}`;
    const matches: string[] = [];
    if (query.emailPrefix !== undefined) {
      matches.push(`email LIKE ${add(`${query.emailPrefix.replace(/[\\%_]/g, '\\$&')}%`)} ESCAPE '\\'`);
    }
    if (query.id !== undefined) matches.push(`id = ${add(query.id)}::uuid`);
    const where = matches.length > 0 ? [`(${matches.join(' OR ')})`] : [];
    if (query.after) {
      where.push(
        `(created_at, id) < (${add(query.after.at)}::timestamp AT TIME ZONE 'UTC', ${add(query.after.id)}::uuid)`,
      );
    }
    return this.sql.rows(
      `SELECT ${USER_COLUMNS}, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS position
         FROM users ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id DESC LIMIT ${add(query.limit)}`,
      values,
    );
  }

  async setName(id: string, name: string | null, now: Date): Promise<void> {
    await this.sql.count('UPDATE users SET name = $2, updated_at = $3 WHERE id = $1', [id, name, now]);
  }

  /**
   * False when the user's address is no longer `email`. The first verification time is kept; a
   * pending change is settled (the address it came from is free).
   */
  async markEmailVerified(id: string, email: string, now: Date): Promise<boolean> {
    const count = await this.sql.count(
      `UPDATE users SET email_verified_at = COALESCE(email_verified_at, $3), ever_verified = true, updated_at = $3,
                        previous_email = NULL, email_changed_at = NULL
        WHERE id = $1 AND email = $2`,
      [id, email, now],
    );
    if (count > 0) await this.recordVerified(id, email, now);
    return count > 0;
  }

  /**
   * The address, unverified; false when another account has it, or keeps it as its way back. A
   * verified address left becomes the way back; one left unverified does not (the way back stays
   * the last verified address), and returning to the way back itself ends the pending change with
   * the address verified again (it was held for this account all along).
   */
  async setUnverifiedEmail(id: string, email: string, now: Date): Promise<boolean> {
    if (await this.isReservedByPendingChange(email, id)) return false;
    try {
      const updated = await this.sql.one<{ returned: boolean }>(
        `UPDATE users SET email = $2::varchar, updated_at = $3,
                email_verified_at = CASE WHEN previous_email = $2::varchar THEN $3::timestamptz END,
                previous_email = CASE WHEN email_verified_at IS NOT NULL THEN email
                                      WHEN previous_email = $2::varchar THEN NULL ELSE previous_email END,
                email_changed_at = CASE WHEN email_verified_at IS NOT NULL OR previous_email <> $2::varchar THEN $3::timestamptz END
          WHERE id = $1
        RETURNING email_verified_at IS NOT NULL AS returned`,
        [id, email, now],
      );
      // Back at its way back, the account held the address all along: its record stays as it was.
      if (updated?.returned) await this.recordVerified(id, email, now);
      else await this.recordAddress(id, email, now);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /**
   * Sends the account holding `email` through a pending change back to its previous address,
   * verified again; undefined when no account holds it that way.
   */
  releasePendingAddress(email: string, now: Date): Promise<RevertedAccount | undefined> {
    return this.returnToPreviousAddress('email', email, now);
  }

  /** Locks up to `limit` accounts with an email change pending since before `before`, skipping rows another run holds. */
  lockEmailChangesBefore(before: Date, limit: number): Promise<Array<{ id: string; email: string }>> {
    return this.sql.rows(
      `SELECT id, email FROM users WHERE previous_email IS NOT NULL AND email_changed_at < $1
        ORDER BY email_changed_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [before, limit],
    );
  }

  /** Sends one (locked) account back to its previous address, verified again; undefined without a pending change. */
  revertEmailChange(id: string, now: Date): Promise<RevertedAccount | undefined> {
    return this.returnToPreviousAddress('id', id, now);
  }

  private async returnToPreviousAddress(
    by: 'id' | 'email',
    value: string,
    now: Date,
  ): Promise<RevertedAccount | undefined> {
    const account = await this.sql.one<RevertedAccount>(
      `UPDATE users SET email = previous_email, email_verified_at = $2, updated_at = $2,
                        previous_email = NULL, email_changed_at = NULL
        WHERE ${by === 'id' ? 'id' : 'email'} = $1 AND previous_email IS NOT NULL
        RETURNING id, email`,
      [value, now],
    );
    if (account) await this.recordVerified(account.id, account.email, now);
    return account;
  }

  /** Locks up to `limit` never-verified accounts created before `before`, skipping rows another run holds. */
  lockNeverVerified(before: Date, limit: number): Promise<AccountToErase[]> {
    return this.sql.rows<AccountToErase>(
      `SELECT id, email, name FROM users WHERE NOT ever_verified AND created_at < $1
        ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [before, limit],
    );
  }

  /**
   * Locks one account whose deletion was due by `now`, skipping rows another run holds. Under the
   * lock a cancel waits, and a cancel that committed first has already cleared the date.
   */
  lockForErasure(id: string): Promise<AccountToErase | undefined> {
    return this.sql.one<AccountToErase>('SELECT id, email, name FROM users WHERE id = $1 FOR UPDATE', [id]);
  }

  lockDueForDeletion(now: Date, except: string[]): Promise<AccountToErase | undefined> {
    return this.sql.one<AccountToErase>(
      `SELECT id, email, name FROM users WHERE deletion_scheduled_for <= $1 AND id <> ALL($2::uuid[])
        ORDER BY deletion_scheduled_for LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [now, except],
    );
  }

  /** Sets the deletion date unless one is set; answers the date in force and whether this call set it. */
  async scheduleDeletion(id: string, at: Date, now: Date): Promise<{ at: Date; scheduled: boolean }> {
    const set = await this.sql.one<{ at: Date }>(
      `UPDATE users SET deletion_scheduled_for = $2, updated_at = $3
        WHERE id = $1 AND deletion_scheduled_for IS NULL RETURNING deletion_scheduled_for AS at`,
      [id, at, now],
    );
    if (set) return { at: set.at, scheduled: true };
    const row = await this.sql.one<{ at: Date }>('SELECT deletion_scheduled_for AS at FROM users WHERE id = $1', [id]);
    return { at: row!.at, scheduled: false };
  }

  /** Clears the deletion date; false when none was set. */
  async cancelDeletion(id: string, now: Date): Promise<boolean> {
    const count = await this.sql.count(
      `UPDATE users SET deletion_scheduled_for = NULL, updated_at = $2
        WHERE id = $1 AND deletion_scheduled_for IS NOT NULL`,
      [id, now],
    );
    return count > 0;
  }

  async deleteUsers(ids: string[]): Promise<void> {
    await this.sql.count('DELETE FROM user_addresses WHERE user_id = ANY($1::uuid[])', [ids]);
    await this.sql.count('DELETE FROM users WHERE id = ANY($1::uuid[])', [ids]);
  }

  /**
   * Every address a user is given goes into its history (hashed), so what others wrote about it is
   * erased with the account even after it moved on, and held from now on. Every move of users.email
   * to an address passes here; the return to the verified address a pending change left does not,
   * as no one else could hold that address meanwhile.
   */
  private async recordAddress(id: string, email: string, now: Date): Promise<void> {
    await this.sql.count(
      `INSERT INTO user_addresses (user_id, address_hash, held_since) VALUES ($1, address_sha256($2), $3)
       ON CONFLICT (user_id, address_hash) DO UPDATE SET held_since = EXCLUDED.held_since`,
      [id, email, now],
    );
  }

  /** The account proved the address, or has it back as its verified one. */
  private async recordVerified(id: string, email: string, now: Date): Promise<void> {
    await this.sql.count(
      `INSERT INTO user_addresses (user_id, address_hash, held_since, verified_at) VALUES ($1, address_sha256($2), $3, $3)
       ON CONFLICT (user_id, address_hash) DO UPDATE SET verified_at = COALESCE(user_addresses.verified_at, EXCLUDED.verified_at)`,
      [id, email, now],
    );
  }

  /**
   * Since when the account holds this address (its current one), or null when it has no record of
   * it: what was written about the address before belongs to whoever held it then.
   */
  async addressHeldSince(id: string, email: string): Promise<Date | null> {
    const row = await this.sql.one<{ heldSince: Date }>(
      `SELECT held_since AS "heldSince" FROM user_addresses WHERE user_id = $1 AND address_hash = address_sha256($2)`,
      [id, email],
    );
    return row?.heldSince ?? null;
  }

  /**
   * The address hashes of these accounts, by account, leaving out those an account outside them has
   * proved as well: rows about such an address may be that account's. An address another account
   * merely moved to (anyone can) leaves nothing behind.
   */
  async addressHashesOf(ids: string[]): Promise<Map<string, Buffer[]>> {
    const rows = await this.sql.rows<{ userId: string; hash: Buffer }>(
      `SELECT h.user_id AS "userId", h.address_hash AS hash FROM user_addresses h
        WHERE h.user_id = ANY($1::uuid[])
          AND NOT EXISTS (SELECT 1 FROM user_addresses o
                           WHERE o.address_hash = h.address_hash AND o.user_id <> ALL($1::uuid[])
                             AND o.verified_at IS NOT NULL)`,
      [ids],
    );
    const byUser = new Map<string, Buffer[]>();
    for (const { userId, hash } of rows) byUser.set(userId, [...(byUser.get(userId) ?? []), hash]);
    return byUser;
  }

  async setTwoFactorEnabled(id: string, enabled: boolean, now: Date): Promise<void> {
    await this.sql.count('UPDATE users SET two_factor_enabled = $2, updated_at = $3 WHERE id = $1', [id, enabled, now]);
  }

  /**
   * The account's lock and suspension, read under a share lock: a lock or a suspension committed
   * while the caller's sign-in is under way waits for it, and then ends the session it issued.
   */
  restrictionsForSignIn(id: string): Promise<Pick<User, 'lockedAt' | 'suspendedAt'> | undefined> {
    return this.sql.one(
      'SELECT locked_at AS "lockedAt", suspended_at AS "suspendedAt" FROM users WHERE id = $1 FOR SHARE',
      [id],
    );
  }

  /** Sets or clears the operator's lock; false when the account is gone or already in that state. */
  async setLock(id: string, lock: { reason: string } | null, now: Date): Promise<boolean> {
    const count = await this.sql.count(
      `UPDATE users SET locked_at = $2, lock_reason = $3, updated_at = $4
        WHERE id = $1 AND (locked_at IS NULL) = ($2::timestamptz IS NOT NULL)`,
      [id, lock ? now : null, lock?.reason ?? null, now],
    );
    return count > 0;
  }

  /**
   * Sets or clears a directory's suspension; false when the account is gone or already in that state.
   * Only the organization that suspended the account lifts the suspension.
   */
  async setSuspension(id: string, orgId: string, suspended: boolean, now: Date): Promise<boolean> {
    const count = await this.sql.count(
      suspended
        ? `UPDATE users SET suspended_at = $3, suspended_by_org_id = $2, updated_at = $3
            WHERE id = $1 AND suspended_at IS NULL`
        : `UPDATE users SET suspended_at = NULL, suspended_by_org_id = NULL, updated_at = $3
            WHERE id = $1 AND suspended_by_org_id = $2`,
      [id, orgId, now],
    );
    return count > 0;
  }

  /** The suspension `from` made is held by `to` from now on; false when `from` holds none. */
  async handOverSuspension(id: string, from: string, to: string, now: Date): Promise<boolean> {
    const count = await this.sql.count(
      'UPDATE users SET suspended_by_org_id = $3, updated_at = $4 WHERE id = $1 AND suspended_by_org_id = $2',
      [id, from, to, now],
    );
    return count > 0;
  }

  /** The accounts these organizations suspended, with the organization that did. */
  suspendedBy(orgIds: string[]): Promise<Array<{ id: string; orgId: string }>> {
    return this.sql.rows<{ id: string; orgId: string }>(
      `SELECT id, suspended_by_org_id AS "orgId" FROM users WHERE suspended_by_org_id = ANY($1::uuid[]) FOR UPDATE`,
      [orgIds],
    );
  }

  async setHasPasskey(id: string, hasPasskey: boolean, now: Date): Promise<void> {
    await this.sql.count('UPDATE users SET has_passkey = $2, updated_at = $3 WHERE id = $1', [id, hasPasskey, now]);
  }

  async setPasswordHash(id: string, passwordHash: string | null, now: Date): Promise<void> {
    await this.sql.count('UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1', [id, passwordHash, now]);
  }

  async replacePasswordHash(id: string, previousHash: string, passwordHash: string, now: Date): Promise<void> {
    await this.sql.count('UPDATE users SET password_hash = $3, updated_at = $4 WHERE id = $1 AND password_hash = $2', [
      id,
      previousHash,
      passwordHash,
      now,
    ]);
  }

  async setSsoProvider(id: string, providerId: string, now: Date): Promise<void> {
    await this.sql.count(
      'UPDATE users SET sso_provider_id = $2, updated_at = $3 WHERE id = $1 AND sso_provider_id IS DISTINCT FROM $2',
      [id, providerId, now],
    );
  }

  /** Unties one account from these providers (leaves a tie to any other alone). */
  async clearSsoProviderOf(id: string, providerIds: string[], now: Date): Promise<void> {
    await this.sql.count(
      'UPDATE users SET sso_provider_id = NULL, updated_at = $3 WHERE id = $1 AND sso_provider_id = ANY($2::uuid[])',
      [id, providerIds, now],
    );
  }

  /** Answers how many accounts the provider had signed in. */
  clearSsoProvider(providerId: string, now: Date): Promise<number> {
    return this.sql.count('UPDATE users SET sso_provider_id = NULL, updated_at = $2 WHERE sso_provider_id = $1', [
      providerId,
      now,
    ]);
  }
}
