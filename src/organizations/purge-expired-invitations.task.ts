import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { ScheduledTask, Task, TaskResult } from '../tasks';
import { OrganizationsRepository } from './organizations.repository';

/** Deletes invitations whose link has expired: they can no longer be taken, and they name an address. */
@Task()
@Injectable()
export class PurgeExpiredInvitationsTask implements ScheduledTask {
  readonly name = 'purge-expired-invitations';
  readonly schedule = '0 35 * * * *';
  readonly description = 'deletes invitations whose link has expired';

  constructor(
    private readonly orgs: OrganizationsRepository,
    private readonly clock: Clock,
  ) {}

  async run(): Promise<TaskResult> {
    return { deleted: await this.orgs.deleteExpiredInvitations(this.clock.now()) };
  }
}
