import { Injectable } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ScheduledTask, Task, TaskResult, TaskRunner, UnknownTaskError } from '../../../src/tasks';
import { tickPeriod } from '../../../src/tasks/task-scheduler.service';
import { createTestDatabase, TestDatabase } from '../../support/database';
import { startTestApp, TestApp } from '../../support/test-app';

/** A task that holds its run open until the test lets it finish. */
@Task()
@Injectable()
class GateTask implements ScheduledTask {
  readonly name = 'gate';
  readonly schedule = '0 0 0 1 1 *';
  readonly description = 'waits until the test lets it finish';
  runs = 0;
  private release: (() => void) | undefined;
  entered: Promise<void>;
  private enter: () => void = () => undefined;

  constructor() {
    this.reset();
  }

  reset(): void {
    this.entered = new Promise((resolve) => (this.enter = resolve));
  }

  async run(): Promise<TaskResult> {
    this.runs++;
    this.enter();
    await new Promise<void>((resolve) => (this.release = resolve));
    return { runs: this.runs };
  }

  open(): void {
    this.release?.();
  }
}

describe('scheduled tasks', () => {
  let database: TestDatabase;
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    // Two instances of the service on one database.
    first = await startTestApp({ database, providers: [GateTask] });
    second = await startTestApp({ database, providers: [GateTask] });
  });
  afterAll(async () => {
    await first.close();
    await second.close();
    await database.drop();
  });

  it('lets one of two racing instances run a task; the other skips it', async () => {
    const gateA = first.app.get(GateTask);
    const gateB = second.app.get(GateTask);
    const running = first.app.get(TaskRunner).run('gate');
    await gateA.entered;

    const skipped = await second.app.get(TaskRunner).run('gate');
    expect(skipped).toEqual({ task: 'gate', status: 'skipped', reason: expect.any(String) });
    expect(gateB.runs).toBe(0);

    gateA.open();
    expect(await running).toMatchObject({ task: 'gate', status: 'done', result: { runs: 1 } });

    // The lock was released on the connection that took it: the other instance can run it now.
    const later = second.app.get(TaskRunner).run('gate');
    await gateB.entered;
    gateB.open();
    expect(await later).toMatchObject({ status: 'done', result: { runs: 1 } });
  });

  it('runs a tick once in the cluster: of instances ticking for one period, only the first runs the task', async () => {
    const gateA = first.app.get(GateTask);
    const gateB = second.app.get(GateTask);
    gateA.reset();
    gateB.reset();
    const [runsA, runsB] = [gateA.runs, gateB.runs];
    const period = tickPeriod(new Date('2031-01-01T00:00:00.300Z'));
    const running = first.app.get(TaskRunner).runScheduled('gate', period);
    await gateA.entered;
    // The same tick on the other instance, while the first still runs it, and after it finished.
    expect(await second.app.get(TaskRunner).runScheduled('gate', period)).toMatchObject({ status: 'skipped' });
    gateA.open();
    expect(await running).toMatchObject({ status: 'done' });
    expect(await second.app.get(TaskRunner).runScheduled('gate', period)).toMatchObject({ status: 'skipped' });
    // A tick whose clock was 0.4 s behind names the same period; an older one is skipped too.
    expect(tickPeriod(new Date('2031-01-01T00:00:00.100Z'))).toEqual(period);
    const before = new Date(period.getTime() - 60_000);
    expect(await second.app.get(TaskRunner).runScheduled('gate', before)).toMatchObject({ status: 'skipped' });
    expect([gateA.runs - runsA, gateB.runs - runsB]).toEqual([1, 0]);

    // The next period runs again, wherever it ticks first.
    const next = second.app.get(TaskRunner).runScheduled('gate', new Date(period.getTime() + 60_000));
    await gateB.entered;
    gateB.open();
    expect(await next).toMatchObject({ status: 'done' });
  });

  it('releases the lock when the task fails', async () => {
    const runner = first.app.get(TaskRunner);
    const gate = first.app.get(GateTask);
    gate.reset();
    jest.spyOn(gate, 'run').mockRejectedValueOnce(new Error('boom'));
    await expect(runner.run('gate')).rejects.toThrow('boom');
    const [{ held }] = await first.dataSource.query(
      `SELECT count(*)::int AS held FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    expect(held).toBe(0);
    const again = runner.run('gate');
    await gate.entered;
    gate.open();
    expect(await again).toMatchObject({ status: 'done' });
  });

  it('refuses an unknown task by name and lists the known ones', async () => {
    const error = await first.app
      .get(TaskRunner)
      .run('nope')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownTaskError);
    expect(String(error)).toContain('deliver-mail');
  });

  it('puts no task on a schedule when TASKS_ENABLED=false', () => {
    expect(first.app.get(SchedulerRegistry).getCronJobs().size).toBe(0);
  });
});

describe('scheduled tasks with TASKS_ENABLED=true', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TASKS_ENABLED: 'true' } });
  });
  afterAll(() => t.close());

  it('schedules every task, deliver-mail included', () => {
    const jobs = t.app.get(SchedulerRegistry).getCronJobs();
    expect([...jobs.keys()]).toContain('deliver-mail');
    expect([...jobs.values()].every((job) => job.isActive)).toBe(true);
  });
});
