import { Injectable } from '@nestjs/common';
import { ErasedAccount, UserData, UserDataHandler } from '../common/user-data';
import { AuthRepository } from './auth.repository';

/** Password-reset links: nothing worth exporting (a hash and a date), erased with the account. */
@UserData({ tables: ['password_reset_tokens'] })
@Injectable()
export class AuthUserData implements UserDataHandler {
  constructor(private readonly repository: AuthRepository) {}

  erase(accounts: ErasedAccount[]): Promise<void> {
    return this.repository.eraseUsers(accounts.map((account) => account.id));
  }
}
