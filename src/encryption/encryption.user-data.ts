import { Injectable } from '@nestjs/common';
import { UserData, UserDataHandler } from '../common/user-data';

/** The key check value is about the deployment's key, never about a user: nothing to export or erase. */
@UserData({ tables: ['encryption_key_check'] })
@Injectable()
export class EncryptionUserData implements UserDataHandler {
  erase(): Promise<void> {
    return Promise.resolve();
  }
}
