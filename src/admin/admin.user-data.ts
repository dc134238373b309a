import { Injectable } from '@nestjs/common';
import { UserData, UserDataHandler } from '../common/user-data';

/**
 * Admin keys belong to operators, not to accounts: no row names a user, so there is nothing to
 * erase or export. What an admin key did to an account is in the audit log, which that module
 * anonymises.
 */
@UserData({ tables: ['admin_keys'] })
@Injectable()
export class AdminUserData implements UserDataHandler {
  async erase(): Promise<void> {}
}
