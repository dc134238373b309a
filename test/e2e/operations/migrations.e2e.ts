import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createDataSource } from '../../../src/database';
import { runMigrations } from '../../../src/database/run-migrations';
import { createTestDatabase, TestDatabase } from '../../support/database';

describe('migrations', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('leave nothing for the entities to change (entities and migrations agree)', async () => {
    const dataSource = createDataSource(database.url, 2);
    await dataSource.initialize();
    try {
      const { upQueries } = await dataSource.driver.createSchemaBuilder().log();
      expect(upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('are all applied, and a second run applies none', async () => {
    const files = readdirSync(join(__dirname, '..', '..', '..', 'migrations')).filter((f) => f.endsWith('.ts'));
    const dataSource = createDataSource(database.url, 2);
    await dataSource.initialize();
    try {
      const applied = await dataSource.query('SELECT name FROM migrations');
      expect(applied).toHaveLength(files.length);
    } finally {
      await dataSource.destroy();
    }
    expect(await runMigrations(database.url)).toEqual([]);
  });

  it('revert cleanly down to nothing and apply again', async () => {
    const dataSource = createDataSource(database.url, 2);
    await dataSource.initialize();
    try {
      const count = async () => (await dataSource.query('SELECT count(*)::int AS n FROM migrations'))[0].n as number;
      while ((await count()) > 0) await dataSource.undoLastMigration({ transaction: 'each' });
      const tables = await dataSource.query(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'`,
      );
      expect(tables).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
    expect((await runMigrations(database.url)).length).toBeGreaterThan(0);
  });
});
