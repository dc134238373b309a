import { Injectable } from '@nestjs/common';
import { ErasedAccount, UserData, UserDataHandler } from '../common/user-data';
import { UsersRepository } from './users.repository';

/**
 * The account itself: its profile in the export; its row and its address history go last, once
 * every module has forgotten it (the others find what they keep by those addresses).
 */
@UserData({ tables: ['users', 'user_addresses'], order: 100 })
@Injectable()
export class UsersUserData implements UserDataHandler {
  constructor(private readonly repository: UsersRepository) {}

  async export(userId: string): Promise<Record<string, unknown>> {
    const user = await this.repository.findById(userId);
    if (!user) return {};
    const { id, email, name, emailVerifiedAt, twoFactorEnabled, createdAt, updatedAt, deletionScheduledFor } = user;
    const { previousEmail, emailChangedAt } = user;
    return {
      profile: {
        id,
        email,
        name,
        emailVerifiedAt,
        hasPassword: user.passwordHash !== null,
        twoFactorEnabled,
        createdAt,
        updatedAt,
        deletionScheduledFor,
        pendingEmailChange: previousEmail ? { previousEmail, changedAt: emailChangedAt } : null,
      },
    };
  }

  erase(accounts: ErasedAccount[]): Promise<void> {
    return this.repository.deleteUsers(accounts.map((account) => account.id));
  }
}
