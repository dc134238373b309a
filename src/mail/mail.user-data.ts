import { Injectable } from '@nestjs/common';
import { ErasedAccount, UserData, UserDataHandler } from '../common/user-data';
import { OutboxService } from './outbox.service';

/**
 * Queued mail: sealed, and scrubbed once delivered, so only mail still waiting for one of the
 * account's addresses (an earlier one too) holds anything of the user; it is dropped. (The deletion's own final notice is queued after.)
 */
@UserData({ tables: ['mail_outbox'] })
@Injectable()
export class MailUserData implements UserDataHandler {
  constructor(private readonly outbox: OutboxService) {}

  erase(accounts: ErasedAccount[]): Promise<void> {
    return this.outbox.forgetUnsentTo(
      accounts.map((account) => account.email),
      accounts.flatMap((account) => account.addressHashes),
    );
  }
}
