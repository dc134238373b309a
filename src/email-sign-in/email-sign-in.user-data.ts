import { Injectable } from '@nestjs/common';
import { ErasedAccount, UserData, UserDataHandler } from '../common/user-data';
import { EmailSignInRepository } from './email-sign-in.repository';

/**
 * Mailed links and codes: hashes a person cannot read, so nothing is exported. Erased by account
 * and by every address the account had (a link mailed to an address before it had an account).
 */
@UserData({ tables: ['email_sign_in_codes'] })
@Injectable()
export class EmailSignInUserData implements UserDataHandler {
  constructor(private readonly repository: EmailSignInRepository) {}

  erase(accounts: ErasedAccount[]): Promise<void> {
    return this.repository.eraseUsers(
      accounts.map((account) => account.id),
      accounts.flatMap((account) => account.addressHashes),
    );
  }
}
