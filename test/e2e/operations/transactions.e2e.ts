import { Sql, TransactionHost } from '../../../src/database';
import { startTestApp, TestApp } from '../../support/test-app';

describe('transactions', () => {
  let t: TestApp;
  let sql: Sql;
  let txHost: TransactionHost;

  beforeAll(async () => {
    t = await startTestApp();
    sql = t.app.get(Sql);
    txHost = t.app.get(TransactionHost);
    await t.dataSource.query('CREATE TABLE tx_probe (n int NOT NULL)');
  });
  afterAll(() => t.close());
  beforeEach(() => t.dataSource.query('DELETE FROM tx_probe'));

  const backend = async () => (await sql.one<{ pid: number }>('SELECT pg_backend_pid() AS pid'))!.pid;
  const probes = async () =>
    ((await t.dataSource.query('SELECT n FROM tx_probe ORDER BY n')) as Array<{ n: number }>).map((r) => r.n);

  it('joins a nested transaction to the outer one: one connection, committed or rolled back together', async () => {
    await txHost.withTransaction(async () => {
      const outer = await backend();
      await sql.count('INSERT INTO tx_probe VALUES (1)');
      await txHost.withTransaction(async () => {
        expect(await backend()).toBe(outer);
        await sql.count('INSERT INTO tx_probe VALUES (2)');
      });
      // Not committed yet: another connection sees nothing.
      expect(await probes()).toEqual([]);
    });
    expect(await probes()).toEqual([1, 2]);

    const failed = txHost.withTransaction(async () => {
      await sql.count('INSERT INTO tx_probe VALUES (3)');
      await txHost.withTransaction(() => sql.count('INSERT INTO tx_probe VALUES (4)'));
      throw new Error('undo');
    });
    await expect(failed).rejects.toThrow('undo');
    expect(await probes()).toEqual([1, 2]);
  });

  it('runs detached work outside the caller’s transaction: it commits even when the caller rolls back', async () => {
    const failed = txHost.withTransaction(async () => {
      const outer = await backend();
      await sql.count('INSERT INTO tx_probe VALUES (1)');
      await txHost.detached(async () => {
        expect(await backend()).not.toBe(outer);
        await sql.count('INSERT INTO tx_probe VALUES (2)');
      });
      throw new Error('undo');
    });
    await expect(failed).rejects.toThrow('undo');
    expect(await probes()).toEqual([2]);
  });

  it('closes a connection that broke inside a transaction instead of pooling it', async () => {
    let broken = 0;
    const failed = txHost.withTransaction(async () => {
      broken = await backend();
      await t.dataSource.query('SELECT pg_terminate_backend($1)', [broken]);
      await sql.count('INSERT INTO tx_probe VALUES (1)');
    });
    await expect(failed).rejects.toThrow();
    // Every connection of the pool, at once: none of them is the one that broke, and all answer.
    const pids = await Promise.all(Array.from({ length: 20 }, () => txHost.withTransaction(() => backend())));
    expect(pids).not.toContain(broken);
    expect(await probes()).toEqual([]);
  });
});
