import { Injectable } from '@nestjs/common';
import { Transactional, TransactionHost } from '../database/transactions';
import { In } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { isUniqueViolation } from '../common/database-errors';
import { DomainError } from '../common/errors';
import { normalizeEmail } from './user.dto';
import { User } from './user.entity';

export interface NewUser {
  email: string;
  name?: string | null;
  passwordHash: string | null;
}

/** The only writer of the users table. */
@Injectable()
export class UsersService {
  constructor(
    private readonly txHost: TransactionHost,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  private get users() {
    return this.txHost.tx.getRepository(User);
  }

  /** Throws email_taken when the address (compared case-insensitively) has an account. */
  async create(input: NewUser): Promise<User> {
    const now = this.clock.now();
    try {
      const { identifiers } = await this.users.insert({
        email: normalizeEmail(input.email),
        name: input.name ?? null,
        passwordHash: input.passwordHash,
        createdAt: now,
        updatedAt: now,
      });
      return this.getById(identifiers[0].id as string);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('email_taken');
      throw error;
    }
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email: normalizeEmail(email) });
  }

  async getById(id: string): Promise<User> {
    const user = await this.findById(id);
    if (!user) throw new DomainError('not_found');
    return user;
  }

  @Transactional()
  async updateProfile(id: string, name: string, client: ClientInfo): Promise<User> {
    await this.users.update({ id }, { name, updatedAt: this.clock.now() });
    const user = await this.getById(id);
    await this.audit.record({ action: 'user.profile_updated', actor: user, client, target: `user:${id}` });
    return user;
  }

  /** Users by id, for modules that show who did something; missing ids are left out. */
  findByIds(ids: string[]): Promise<User[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.users.findBy({ id: In(ids) });
  }

  /** Marks the address verified if it is still the user's address; false when it has changed since. */
  async markEmailVerified(id: string, email: string): Promise<boolean> {
    const [, count] = await this.txHost.tx.query(
      `UPDATE users SET email_verified_at = COALESCE(email_verified_at, $3), ever_verified = true, updated_at = $3
        WHERE id = $1 AND email = $2`,
      [id, email, this.clock.now()],
    );
    return count > 0;
  }

  /** A new, unverified address; email_taken when another account has it. */
  async changeEmail(id: string, email: string): Promise<User> {
    try {
      await this.users.update(
        { id },
        { email: normalizeEmail(email), emailVerifiedAt: null, updatedAt: this.clock.now() },
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('email_taken');
      throw error;
    }
    return this.getById(id);
  }

  /** Deletes up to `limit` never-verified accounts created before `before`; answers who went. */
  async deleteNeverVerified(before: Date, limit: number): Promise<Array<{ id: string; email: string }>> {
    const [rows] = await this.txHost.tx.query(
      `DELETE FROM users WHERE id IN (
         SELECT id FROM users WHERE NOT ever_verified AND created_at < $1
          ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id, email`,
      [before, limit],
    );
    return rows;
  }

  async setTwoFactorEnabled(id: string, enabled: boolean): Promise<void> {
    await this.users.update({ id }, { twoFactorEnabled: enabled, updatedAt: this.clock.now() });
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.users.update({ id }, { passwordHash, updatedAt: this.clock.now() });
  }
}
