import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { ScheduledTask, Task, TaskResult } from '../tasks';
import { RateLimitRepository } from './rate-limit.repository';

/** Deletes the PostgreSQL store's ended windows (Redis expires its own). */
@Task()
@Injectable()
export class PurgeRateLimitsTask implements ScheduledTask {
  readonly name = 'purge-rate-limits';
  readonly schedule = '0 5 * * * *';
  readonly description = "deletes the PostgreSQL rate-limit store's ended windows";

  constructor(
    private readonly counters: RateLimitRepository,
    private readonly clock: Clock,
  ) {}

  async run(): Promise<TaskResult> {
    return { deleted: await this.counters.deleteEnded(this.clock.now()) };
  }
}
