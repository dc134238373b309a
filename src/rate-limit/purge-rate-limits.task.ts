import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql';
import { Clock } from '../common/clock';
import { deleteInBatches, ScheduledTask, Task, TaskResult } from '../tasks';

/** Deletes the PostgreSQL store's ended windows (Redis expires its own). */
@Task()
@Injectable()
export class PurgeRateLimitsTask implements ScheduledTask {
  readonly name = 'purge-rate-limits';
  readonly schedule = '0 5 * * * *';

  constructor(
    private readonly sql: Sql,
    private readonly clock: Clock,
  ) {}

  async run(): Promise<TaskResult> {
    return { deleted: await deleteInBatches(this.sql, 'rate_limits', 'reset_at <= $1', [this.clock.now()]) };
  }
}
