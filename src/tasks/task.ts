import { DiscoveryService } from '@nestjs/core';

export type TaskResult = Record<string, number | string | boolean>;

/**
 * What started a run: its schedule, or someone's command (`npm run task -- NAME`, a test). A task
 * whose schedule only checks whether work is due (rotate-signing-keys) does it at once on command.
 */
export type TaskTrigger = 'schedule' | 'command';

/** A scheduled (or on-demand) task: thin, idempotent, safe to run while servers run, and run by the CLI as is. */
export interface ScheduledTask {
  readonly name: string;
  /** A cron expression (six fields: seconds first); null: run only on demand (`npm run task -- <name>`). */
  readonly schedule: string | null;
  /** One line for `npm run task` without a name. */
  readonly description: string;
  run(trigger: TaskTrigger): Promise<TaskResult>;
}

/** Marks a provider implementing ScheduledTask so the runner and the CLI find it. */
export const Task = DiscoveryService.createDecorator<void>();
