import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { describeError } from '../common/describe-error';
import { AppConfig } from '../config';
import { TaskRunner } from './task-runner.service';

/**
 * The scheduled time of the tick that fires now: the nearest whole second (every schedule is in
 * whole seconds), so instances whose clocks agree within half a second name the same period.
 */
export function tickPeriod(now: Date): Date {
  return new Date(Math.round(now.getTime() / 1000) * 1000);
}

/**
 * Puts every task that has a schedule on it in this process, unless TASKS_ENABLED=false. Every instance
 * ticks; the first to claim a tick's period runs the task (TaskRunner.runScheduled).
 */
@Injectable()
export class TaskScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger('Tasks');

  constructor(
    private readonly config: AppConfig,
    private readonly runner: TaskRunner,
    private readonly registry: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.tasksEnabled) return;
    for (const task of this.runner.list()) {
      if (task.schedule === null) continue;
      const job = CronJob.from({
        cronTime: task.schedule,
        waitForCompletion: true,
        onTick: async () => {
          try {
            await this.runner.runScheduled(task.name, tickPeriod(new Date()));
          } catch (error) {
            this.logger.error({ task: task.name, error: describeError(error), msg: 'task failed' });
          }
        },
      });
      this.registry.addCronJob(task.name, job);
      job.start();
    }
  }
}
