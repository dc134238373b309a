import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { deleteInBatches, ScheduledTask, Task, TaskResult } from '../tasks';

/** Deletes the PostgreSQL store's ended windows (Redis expires its own). */
@Task()
@Injectable()
export class PurgeRateLimitsTask implements ScheduledTask {
  readonly name = 'purge-rate-limits';
  readonly schedule = '0 5 * * * *';

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async run(): Promise<TaskResult> {
    return { deleted: await deleteInBatches(this.dataSource, 'rate_limits', 'reset_at <= $1', [this.clock.now()]) };
  }
}
