import { Injectable } from '@nestjs/common';
import { ScheduledTask, Task, TaskResult } from '../tasks';
import { OrganizationsRepository } from './organizations.repository';

/** Deletes organizations left with no member, however that came about, with everything in them. */
@Task()
@Injectable()
export class CleanupOrphanedOrgsTask implements ScheduledTask {
  readonly name = 'cleanup-orphaned-orgs';
  readonly schedule = '0 45 3 * * *';

  constructor(private readonly repository: OrganizationsRepository) {}

  async run(): Promise<TaskResult> {
    return { deleted: await this.repository.deleteMemberless() };
  }
}
