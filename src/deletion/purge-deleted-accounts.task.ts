import { Injectable } from '@nestjs/common';
import { ScheduledTask, Task, TaskResult } from '../tasks';
import { DeletionService } from './deletion.service';

/** Erases the accounts whose grace period has ended. */
@Task()
@Injectable()
export class PurgeDeletedAccountsTask implements ScheduledTask {
  readonly name = 'purge-deleted-accounts';
  readonly schedule = '0 15 * * * *';
  readonly description = 'erases accounts whose deletion grace period has ended';

  constructor(private readonly deletion: DeletionService) {}

  run(): Promise<TaskResult> {
    return this.deletion.purgeDue();
  }
}
