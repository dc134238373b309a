import { Injectable } from '@nestjs/common';
import { ErasedAccount, UserData, UserDataHandler } from '../common/user-data';
import { RateLimiter } from './rate-limiter.service';

/** Counters keyed on an account (failed logins, resends, confirmations); they hold only hashes, so nothing to export. */
@UserData({ tables: ['rate_limits'] })
@Injectable()
export class RateLimitUserData implements UserDataHandler {
  constructor(private readonly limiter: RateLimiter) {}

  erase(accounts: ErasedAccount[]): Promise<void> {
    return this.limiter.forgetAccounts(accounts);
  }
}
