import { Injectable } from '@nestjs/common';
import { ErasedAccount, UserData, UserDataHandler } from '../common/user-data';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

/** Sessions and the addresses the user signed in from. */
@UserData({ tables: ['sessions', 'known_ips'] })
@Injectable()
export class SessionsUserData implements UserDataHandler {
  constructor(
    private readonly sessions: SessionsService,
    private readonly repository: SessionsRepository,
  ) {}

  async export(userId: string): Promise<Record<string, unknown>> {
    return {
      sessions: await this.sessions.list(userId, ''),
      knownAddresses: await this.repository.knownIps(userId),
    };
  }

  erase(accounts: ErasedAccount[]): Promise<void> {
    return this.repository.eraseUsers(accounts.map((account) => account.id));
  }
}
