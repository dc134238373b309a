import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Metrics } from '../common/metrics';
import { Sql } from '../database/sql';
import { ScheduledTask, Task, TaskResult, TaskTrigger } from './task';

export type TaskOutcome =
  | { task: string; status: 'done'; durationMs: number; result: TaskResult }
  | { task: string; status: 'skipped'; reason: string };

export class UnknownTaskError extends Error {
  constructor(name: string, known: string[]) {
    super(`unknown task "${name}"; the tasks are: ${known.join(', ')}`);
  }
}

/**
 * Runs a task under a PostgreSQL advisory lock so that among all instances (and the CLI) one runs
 * it at a time. The lock is session-level and is released on the connection that took it; if the
 * process dies, the connection closes and PostgreSQL releases it.
 */
@Injectable()
export class TaskRunner implements OnModuleInit {
  private readonly logger = new Logger('Tasks');
  private readonly tasks = new Map<string, ScheduledTask>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly sql: Sql,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: Task.KEY })) {
      const task = wrapper.instance as ScheduledTask;
      if (this.tasks.has(task.name)) throw new Error(`two tasks are named "${task.name}"`);
      this.tasks.set(task.name, task);
    }
  }

  list(): ScheduledTask[] {
    return [...this.tasks.values()];
  }

  /**
   * A scheduler's tick: runs the task unless another instance already ran it for this period (the
   * tick's scheduled time). Every instance's scheduler ticks at the same times, so without the
   * claim a task would run once per instance per period.
   */
  async runScheduled(name: string, period: Date): Promise<TaskOutcome> {
    const claimed = await this.sql.count(
      `INSERT INTO task_periods (task, period) VALUES ($1, $2)
       ON CONFLICT (task) DO UPDATE SET period = EXCLUDED.period WHERE task_periods.period < EXCLUDED.period`,
      [name, period],
    );
    if (claimed === 0) {
      this.logger.debug({ task: name, period, msg: 'skipped: another instance ran it for this period' });
      return { task: name, status: 'skipped', reason: 'another instance ran it for this period' };
    }
    return this.run(name, 'schedule');
  }

  /**
   * Runs the task now (the CLI, and a scheduler's claimed tick). Counted in
   * `authd_task_runs_total{task, outcome}`: done, skipped or failed.
   */
  async run(name: string, trigger: TaskTrigger = 'command'): Promise<TaskOutcome> {
    const task = this.tasks.get(name);
    if (!task) throw new UnknownTaskError(name, [...this.tasks.keys()]);
    try {
      const outcome = await this.runLocked(name, task, trigger);
      this.metrics.taskRuns.inc({ task: name, outcome: outcome.status });
      return outcome;
    } catch (error) {
      this.metrics.taskRuns.inc({ task: name, outcome: 'failed' });
      throw error;
    }
  }

  private async runLocked(name: string, task: ScheduledTask, trigger: TaskTrigger): Promise<TaskOutcome> {
    const lockKey = `authd:task:${name}`;
    const connection = await this.sql.hold();
    // Closed rather than pooled unless the lock is known released (or was never taken).
    let inDoubt: unknown = new Error(`the lock on ${lockKey} may still be held`);
    try {
      const [{ locked }] = await connection.rows<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
        [lockKey],
      );
      if (!locked) {
        inDoubt = undefined;
        this.logger.log({ task: name, msg: 'skipped: another instance is running it' });
        return { task: name, status: 'skipped', reason: 'another instance is running it' };
      }
      try {
        const started = performance.now();
        const result = await task.run(trigger);
        const durationMs = Math.round(performance.now() - started);
        // A routine run that changed nothing is a debug line; one that did something stays at info.
        const didSomething = Object.values(result).some((value) => value !== 0 && value !== false);
        const line = { task: name, durationMs, result, msg: 'task done' };
        if (didSomething) this.logger.log(line);
        else this.logger.debug(line);
        return { task: name, status: 'done', durationMs, result };
      } finally {
        await connection.rows('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]);
        inDoubt = undefined;
      }
    } finally {
      connection.release(inDoubt);
    }
  }
}
