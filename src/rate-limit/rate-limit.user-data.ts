import { Injectable } from '@nestjs/common';
import { ErasedAccount, UserData, UserDataHandler } from '../common/user-data';
import { RateLimiter } from './rate-limiter.service';

/**
 * Counters keyed on an account (failed logins, resends, email changes, verification mails,
 * confirmations); they hold only hashes, so nothing to export. Those keyed on an account at one
 * address cannot be found from the account and end with their window.
 */
@UserData({ tables: ['rate_limits'] })
@Injectable()
export class RateLimitUserData implements UserDataHandler {
  constructor(private readonly limiter: RateLimiter) {}

  erase(accounts: ErasedAccount[]): Promise<void> {
    return this.limiter.forgetAccounts(accounts);
  }
}
