import { Injectable } from '@nestjs/common';
import { ErasedAccount, UserData, UserDataHandler } from '../common/user-data';
import { ApiKeysRepository } from './api-keys.repository';

/** API keys: their names and use, never the key or its hash. */
@UserData({ tables: ['api_keys'] })
@Injectable()
export class ApiKeysUserData implements UserDataHandler {
  constructor(private readonly repository: ApiKeysRepository) {}

  async export(userId: string): Promise<Record<string, unknown>> {
    const keys = await this.repository.listByUser(userId);
    return {
      apiKeys: keys.map(({ id, name, prefix, createdAt, lastUsedAt }) => ({ id, name, prefix, createdAt, lastUsedAt })),
    };
  }

  erase(accounts: ErasedAccount[]): Promise<void> {
    return this.repository.eraseUsers(accounts.map((account) => account.id));
  }
}
