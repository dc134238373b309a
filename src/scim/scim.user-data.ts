import { Injectable } from '@nestjs/common';
import { ErasedAccount, UserData, UserDataHandler } from '../common/user-data';
import { ScimRepository } from './scim.repository';

/**
 * What organizations' directories keep about an account: its SCIM rows (ids, externalId, names,
 * group memberships). Tokens and groups belong to the organization and name no one.
 */
@UserData({ tables: ['scim_users', 'scim_group_members', 'scim_groups', 'scim_tokens'] })
@Injectable()
export class ScimUserData implements UserDataHandler {
  constructor(private readonly repository: ScimRepository) {}

  async export(userId: string): Promise<Record<string, unknown>> {
    const rows = await this.repository.usersOfAccount(userId);
    return {
      directoryProvisioning: rows.map((row) => ({
        orgId: row.orgId,
        scimId: row.id,
        externalId: row.externalId,
        givenName: row.givenName,
        familyName: row.familyName,
        active: row.active,
        createdAt: row.createdAt,
      })),
    };
  }

  async erase(accounts: ErasedAccount[]): Promise<void> {
    // Their group memberships go with the rows (ON DELETE CASCADE).
    await this.repository.deleteUsersOfAccounts(accounts.map((account) => account.id));
  }
}
