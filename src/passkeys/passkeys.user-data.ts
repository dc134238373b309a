import { Injectable } from '@nestjs/common';
import { ErasedAccount, UserData, UserDataHandler } from '../common/user-data';
import { PasskeysRepository } from './passkeys.repository';

/** Passkeys: their names and use, never a public key; challenges hold nothing a person could read. */
@UserData({ tables: ['passkeys', 'webauthn_challenges'] })
@Injectable()
export class PasskeysUserData implements UserDataHandler {
  constructor(private readonly repository: PasskeysRepository) {}

  async export(userId: string): Promise<Record<string, unknown>> {
    const passkeys = await this.repository.listByUser(userId);
    return {
      passkeys: passkeys.map(({ id, name, backedUp, deviceType, transports, createdAt, lastUsedAt }) => ({
        id,
        name,
        backedUp,
        deviceType,
        transports,
        createdAt,
        lastUsedAt,
      })),
    };
  }

  erase(accounts: ErasedAccount[]): Promise<void> {
    return this.repository.eraseUsers(accounts.map((account) => account.id));
  }
}
