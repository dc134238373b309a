import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql';
import { Clock } from '../common/clock';
import { AppConfig } from '../config';
import { deleteInBatches, ScheduledTask, Task, TaskResult } from '../tasks';

/** Deletes sessions past either timeout, and revoked ones. */
@Task()
@Injectable()
export class PurgeExpiredSessionsTask implements ScheduledTask {
  readonly name = 'purge-expired-sessions';
  readonly schedule = '0 */15 * * * *';

  constructor(
    private readonly sql: Sql,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async run(): Promise<TaskResult> {
    const now = this.clock.now();
    const idleBefore = new Date(now.getTime() - this.config.sessionIdleTimeoutMs);
    const deleted = await deleteInBatches(
      this.sql,
      'sessions',
      'expires_at <= $1 OR last_active_at <= $2 OR revoked_at IS NOT NULL',
      [now, idleBefore],
    );
    return { deleted };
  }
}
