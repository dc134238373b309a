import { join } from 'node:path';
import { AppConfig } from '../config';
import { createDataSource } from './data-source';
import { startEmbeddedPostgres } from './embedded-postgres';

export interface OpenedDatabase {
  /** The configuration with its database URL resolved. */
  config: AppConfig;
  /** Stops the embedded server, if one was started. */
  close(): Promise<void>;
}

/** DATABASE_URL when set; otherwise the embedded PostgreSQL kept under DATA_DIR. */
export async function openDatabase(config: AppConfig, log: (message: string) => void): Promise<OpenedDatabase> {
  if (config.databaseUrl) return { config, close: async () => undefined };
  const embedded = await startEmbeddedPostgres({ directory: join(config.dataDir, 'postgres'), database: 'authd', log });
  return { config: config.with({ databaseUrl: embedded.url }), close: () => embedded.stop() };
}

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
