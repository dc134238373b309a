import { Injectable } from '@nestjs/common';
import { ScheduledTask, Task, TaskResult } from '../tasks';
import { OrganizationsService } from './organizations.service';

/** Deletes organizations left with no member, however that came about, with everything in them. */
@Task()
@Injectable()
export class CleanupOrphanedOrgsTask implements ScheduledTask {
  readonly name = 'cleanup-orphaned-orgs';
  readonly schedule = '0 45 3 * * *';
  readonly description = 'deletes organizations left with no member, with everything in them';

  constructor(private readonly organizations: OrganizationsService) {}

  async run(): Promise<TaskResult> {
    return { deleted: await this.organizations.deleteMemberless() };
  }
}
