import { Injectable } from '@nestjs/common';
import { ErasedAccount, UserData, UserDataHandler } from '../common/user-data';
import { TwoFactorRepository } from './two-factor.repository';

/** The TOTP factor and recovery codes: the export says whether they are on, never the secret or a code. */
@UserData({ tables: ['totp_factors', 'recovery_codes'] })
@Injectable()
export class TwoFactorUserData implements UserDataHandler {
  constructor(private readonly repository: TwoFactorRepository) {}

  async export(userId: string): Promise<Record<string, unknown>> {
    const factor = await this.repository.findFactor(userId);
    const enabledAt = factor?.enabledAt ?? null;
    return {
      twoFactor: {
        enabled: enabledAt !== null,
        enabledAt,
        unusedRecoveryCodes: enabledAt ? await this.repository.unusedRecoveryCodes(userId) : 0,
      },
    };
  }

  erase(accounts: ErasedAccount[]): Promise<void> {
    return this.repository.eraseUsers(accounts.map((account) => account.id));
  }
}
