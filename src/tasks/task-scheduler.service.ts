import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { describeError } from '../common/describe-error';
import { AppConfig } from '../config';
import { TaskRunner } from './task-runner.service';

/** Puts every task on its schedule in this process, unless TASKS_ENABLED=false. */
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
      const job = CronJob.from({
        cronTime: task.schedule,
        waitForCompletion: true,
        onTick: async () => {
          try {
            await this.runner.run(task.name, 'schedule');
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
