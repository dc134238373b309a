import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { AppConfig } from '../config';
import { ScheduledTask, Task, TaskResult } from '../tasks';
import { SessionsRepository } from './sessions.repository';

/** Deletes sessions past either timeout, and revoked ones. */
@Task()
@Injectable()
export class PurgeExpiredSessionsTask implements ScheduledTask {
  readonly name = 'purge-expired-sessions';
  readonly schedule = '0 */15 * * * *';
  readonly description = 'deletes sessions past either timeout, and revoked ones';

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async run(): Promise<TaskResult> {
    const now = this.clock.now();
    const idleBefore = new Date(now.getTime() - this.config.sessionIdleTimeoutMs);
    return { deleted: await this.sessions.deleteDead(now, idleBefore) };
  }
}
