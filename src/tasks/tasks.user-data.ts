import { Injectable } from '@nestjs/common';
import { UserData, UserDataHandler } from '../common/user-data';

/** The periods the scheduled tasks ran for are about the deployment, never about a user: nothing to erase. */
@UserData({ tables: ['task_periods'] })
@Injectable()
export class TasksUserData implements UserDataHandler {
  erase(): Promise<void> {
    return Promise.resolve();
  }
}
