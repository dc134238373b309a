import { Injectable } from '@nestjs/common';
import { UserData, UserDataHandler } from '../common/user-data';

/**
 * The signing keys name nobody: the tokens they sign are not stored, so an erasure has nothing to
 * remove here. Claimed so that the test finding tables without a handler knows it was considered.
 */
@UserData({ tables: ['signing_keys'] })
@Injectable()
export class TokensUserData implements UserDataHandler {
  async erase(): Promise<void> {}
}
