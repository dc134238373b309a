import { join } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';

const ROOT = join(__dirname, '..');
/** migrations/ beside src/ (its compiled twin under dist/ once built). */
export const MIGRATIONS_DIR = join(ROOT, '..', 'migrations');

/**
 * TypeORM's view of the database, for the schema alone: the entities define it and the migrations
 * (run by the CLI and at startup) build it. Requests reach PostgreSQL through Sql, not through this.
 */
export function dataSourceOptions(url: string, poolSize = 2): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    applicationName: 'authd',
    entities: [join(ROOT, '**', '*.entity.{ts,js}')],
    migrations: [join(MIGRATIONS_DIR, '*.{ts,js}')],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    // gen_random_uuid() is built into PostgreSQL 13+: no extension, no superuser needed.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    logging: false,
    poolSize,
    extra: { connectionTimeoutMillis: 5000 },
  };
}

export function createDataSource(url: string, poolSize?: number): DataSource {
  return new DataSource(dataSourceOptions(url, poolSize));
}
