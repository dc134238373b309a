import { DiscoveryService } from '@nestjs/core';

export type TaskResult = Record<string, number | string | boolean>;

/** A scheduled (or on-demand) task: thin, idempotent, safe to run while servers run, and run by the CLI as is. */
export interface ScheduledTask {
  readonly name: string;
  /** A cron expression (six fields: seconds first); null: run only on demand (`npm run task -- <name>`). */
  readonly schedule: string | null;
  /** One line for `npm run task` without a name. */
  readonly description: string;
  run(): Promise<TaskResult>;
}

/** Marks a provider implementing ScheduledTask so the runner and the CLI find it. */
export const Task = DiscoveryService.createDecorator<void>();
