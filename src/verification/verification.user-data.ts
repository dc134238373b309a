import { Injectable } from '@nestjs/common';
import { ErasedAccount, UserData, UserDataHandler } from '../common/user-data';
import { VerificationRepository } from './verification.repository';

/** Verification links: nothing worth exporting (a hash and a date), erased with the account. */
@UserData({ tables: ['verification_tokens'] })
@Injectable()
export class VerificationUserData implements UserDataHandler {
  constructor(private readonly repository: VerificationRepository) {}

  erase(accounts: ErasedAccount[]): Promise<void> {
    return this.repository.eraseUsers(accounts.map((account) => account.id));
  }
}
