import { createDataSource } from './data-source';

/**
 * Applies pending migrations; returns the names applied. Instances starting together queue on an
 * advisory lock, taken and released on one connection while the migrations run on another.
 */
export async function runMigrations(url: string): Promise<string[]> {
  const dataSource = createDataSource(url, 2);
  await dataSource.initialize();
  const lock = dataSource.createQueryRunner();
  try {
    await lock.query("SELECT pg_advisory_lock(hashtext('authd:migrations'))");
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((migration) => migration.name);
    } finally {
      await lock.query("SELECT pg_advisory_unlock(hashtext('authd:migrations'))");
    }
  } finally {
    await lock.release();
    await dataSource.destroy();
  }
}
