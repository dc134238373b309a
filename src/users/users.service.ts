import { Injectable } from '@nestjs/common';
import { Transactional, TransactionHost } from '../database/transactions';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { DomainError } from '../common/errors';
import { normalizeEmail } from './user.dto';
import { User } from './user.entity';
import { UsersRepository } from './users.repository';

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
    private readonly users: UsersRepository,
  ) {}

  /** Throws email_taken when the address (compared case-insensitively) has an account. */
  async create(input: NewUser): Promise<User> {
    const user = await this.users.insert(
      { email: normalizeEmail(input.email), name: input.name ?? null, passwordHash: input.passwordHash },
      this.clock.now(),
    );
    if (!user) throw new DomainError('email_taken');
    return user;
  }

  findById(id: string): Promise<User | null> {
    return this.users.findById(id);
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findByEmail(normalizeEmail(email));
  }

  async getById(id: string): Promise<User> {
    const user = await this.findById(id);
    if (!user) throw new DomainError('not_found');
    return user;
  }

  @Transactional()
  async updateProfile(id: string, name: string, client: ClientInfo): Promise<User> {
    await this.users.setName(id, name, this.clock.now());
    const user = await this.getById(id);
    await this.audit.record({ action: 'user.profile_updated', actor: user, client, target: `user:${id}` });
    return user;
  }

  /** Users by id, for modules that show who did something; missing ids are left out. */
  findByIds(ids: string[]): Promise<User[]> {
    return this.users.findByIds(ids);
  }

  /** Marks the address verified if it is still the user's address; false when it has changed since. */
  markEmailVerified(id: string, email: string): Promise<boolean> {
    return this.users.markEmailVerified(id, email, this.clock.now());
  }

  /** A new, unverified address; email_taken when another account has it. */
  async changeEmail(id: string, email: string): Promise<User> {
    if (!(await this.users.setUnverifiedEmail(id, normalizeEmail(email), this.clock.now()))) {
      throw new DomainError('email_taken');
    }
    return this.getById(id);
  }

  /** Deletes up to `limit` never-verified accounts created before `before`; answers who went. */
  deleteNeverVerified(before: Date, limit: number): Promise<Array<{ id: string; email: string }>> {
    return this.users.deleteNeverVerified(before, limit);
  }

  async setTwoFactorEnabled(id: string, enabled: boolean): Promise<void> {
    await this.users.setTwoFactorEnabled(id, enabled, this.clock.now());
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.users.setPasswordHash(id, passwordHash, this.clock.now());
  }
}
